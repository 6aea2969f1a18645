// A run measured on the user's arrays in words: agreement with the original model, never an
// accuracy (the arrays have no labels). Pure, for the results table, its tests and exports.
import type { ArraysAgreement, OutputAgreement } from '../bridge/evalTypes.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const l2 = (x: number) => (x < 0.001 ? x.toExponential(1) : x.toFixed(3));

function sqnr(o: OutputAgreement): string {
  return o.sqnrDb === null ? 'SQNR infinite or undefined' : `SQNR ${o.sqnrDb.toFixed(1)} dB`;
}

/** One output: "y: rel. L2 0.012, SQNR 38.2 dB" or "logits: top-1 agreement 97.5 % (rel. L2 ...)". */
export function describeAgreement(o: OutputAgreement): string {
  if (o.constant)
    return `${o.name}: the same constant in both models on these samples (not judged)`;
  if (o.agreement !== null) {
    const what = o.kind === 'map' ? 'pixel agreement' : 'top-1 agreement';
    return `${o.name}: ${what} ${pct(o.agreement)} (rel. L2 ${l2(o.relativeL2)})`;
  }
  return `${o.name}: rel. L2 ${l2(o.relativeL2)}, ${sqnr(o)}`;
}

/** The table's sentence: what was compared, on which samples, with every output's figure. */
export function arraysSentence(a: ArraysAgreement): string {
  return `Agreement with the original model, not accuracy (your arrays have no labels), on ${a.source} (${a.which}): ${a.outputs.map(describeAgreement).join('; ')}`;
}

/** The first output with an agreement figure (class scores, maps), or null. */
export function agreementFigure(a: ArraysAgreement): number | null {
  return a.outputs.find((o) => !o.constant && o.agreement !== null)?.agreement ?? null;
}

/** The first judged output's rel. L2, for the "output change" column. */
export function outputChange(a: ArraysAgreement): string {
  const o = a.outputs.find((x) => !x.constant);
  return o ? `rel. L2 ${l2(o.relativeL2)}` : '—';
}
