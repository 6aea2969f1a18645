// "Judged honestly" (issue #12): a written model whose outputs differ from the original far more
// than an 8-bit per-channel PTQ of the same layers would, on the same inputs, has failed, and the
// user is told with both sets of numbers. The peer sets the scale: how much these outputs move
// under a small, well-understood change of the weights on these inputs.
import { describeCosine, type OutputMetrics, unjudgeableOutput } from './outputs.ts';

/** "Far more": the written model's error is at least this many times the peer's... */
export const FAR_MORE = 10;
/**
 * ...and large in itself (outputs other than class scores): agreement under 90 % (the issue's collapse bound for probability maps;
 * an all-zero map of a page can still agree on most background pixels, hence also the next), or
 * an error of half the output's norm or more (a collapsed output is at 1: it says nothing).
 */
export const MIN_AGREEMENT = 0.9;
export const MAX_RELATIVE_L2 = 0.5;
/**
 * Class scores: an agreement that has lost more than a third of the way from full agreement down
 * to chance (1/C) is a collapse (2 classes: 83.3 %, 10: 70 %, 1,000: 66.7 %).
 */
export function classCollapse(classes: number): number {
  const chance = 1 / Math.max(1, classes);
  return chance + ((1 - chance) * 2) / 3;
}
/** Top-1 agreement over fewer samples moves in steps too coarse to judge by. */
export const MIN_AGREEMENT_SAMPLES = 20;

export interface OutputJudgement {
  name: string;
  failed: boolean;
  /** Both models hold the output at one value on these inputs (e.g. all zero): not judged. */
  unjudged: boolean;
  /** e.g. 'probability map agrees on 82.0 % of pixels (rel. L2 0.91); 8-bit PTQ: 99.9 % (0.02)'. */
  text: string;
  /** The peer's figure alone, e.g. '8-bit PTQ: 99.9 % (rel. L2 0.02)'; null without a peer. */
  peer: string | null;
}

export interface Verdict {
  /** No output failed. Outputs that could not be judged do not fail: see `unjudged`. */
  ok: boolean;
  /** Outputs both models hold at one value on these inputs: the summary says so. */
  unjudged: string[];
  outputs: OutputJudgement[];
  /** One sentence: what failed and by how much, or that every output is within bounds. */
  summary: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const l2 = (x: number) => (x < 0.001 ? x.toExponential(1) : x.toFixed(3));

function agreementOf(m: OutputMetrics): number | null {
  if (m.pixelAgreement !== null) return m.pixelAgreement;
  if (m.top1Agreement !== null && m.samples >= MIN_AGREEMENT_SAMPLES) return m.top1Agreement;
  return null;
}

function judgeOne(
  w: OutputMetrics,
  p: OutputMetrics | undefined,
  hint: string | undefined,
): OutputJudgement {
  const a = agreementOf(w);
  const figure =
    w.pixelAgreement !== null
      ? `probability map agrees on ${pct(w.pixelAgreement)} of pixels at ${w.threshold} (rel. L2 ${l2(w.relativeL2)})`
      : a !== null
        ? `top-1 agreement ${pct(a)} (rel. L2 ${l2(w.relativeL2)})`
        : `rel. L2 ${l2(w.relativeL2)}, ${describeCosine(w)}`;
  const none = { name: w.name, unjudged: false, peer: null };
  if (!Number.isFinite(w.relativeL2)) {
    return { ...none, failed: true, text: `"${w.name}" is not finite` };
  }
  // An output the inputs never move (all zero in both) agrees trivially: neither pass nor fail.
  const flat = unjudgeableOutput(w, hint);
  if (flat) return { ...none, failed: false, unjudged: true, text: `"${w.name}": ${flat}` };
  if (!p) return { ...none, failed: false, text: `"${w.name}": ${figure}` };
  const pa = agreementOf(p);
  const peer =
    pa !== null
      ? `8-bit PTQ: ${pct(pa)} (rel. L2 ${l2(p.relativeL2)})`
      : `8-bit PTQ: rel. L2 ${l2(p.relativeL2)}`;
  const errorFar =
    w.relativeL2 >= MAX_RELATIVE_L2 && w.relativeL2 > FAR_MORE * Math.max(p.relativeL2, 1e-3);
  const agreementFar =
    a !== null && pa !== null && a < MIN_AGREEMENT && 1 - a > FAR_MORE * Math.max(1 - pa, 1e-3);
  // Class scores are judged by their answers alone: a lossy trade-off the user chose (QAF at rate
  // 1.5 keeps 85 % of ResNet-20's answers, and its logits move by half their norm) is shown by
  // the accuracy, not failed; a classifier that lost a third of what it knew above chance has.
  const failed =
    w.kind === 'classes' && a !== null
      ? pa !== null && a < classCollapse(w.dims[1]) && 1 - a > FAR_MORE * Math.max(1 - pa, 1e-3)
      : errorFar || agreementFar;
  return {
    name: w.name,
    failed,
    unjudged: false,
    text: `"${w.name}": ${figure}; ${peer}`,
    peer,
  };
}

/**
 * The written model's per-output figures against those of the 8-bit PTQ peer measured on the
 * same inputs (null when there is no peer: then only non-finite outputs fail).
 */
export function judgeOutputs(
  written: readonly OutputMetrics[],
  peer: readonly OutputMetrics[] | null,
  /** What to do about an output the inputs never move (default: REALISTIC_INPUTS_HINT). */
  hint?: string,
): Verdict {
  const byName = new Map((peer ?? []).map((m) => [m.name, m]));
  const outputs = written.map((w) => judgeOne(w, peer ? byName.get(w.name) : undefined, hint));
  const failed = outputs.filter((o) => o.failed);
  const unjudged = outputs.filter((o) => o.unjudged);
  const judged = outputs.filter((o) => !o.unjudged);
  const notJudged = unjudged.length ? `not judged: ${unjudged.map((o) => o.text).join('; ')}` : '';
  const passed =
    judged.length === 0
      ? ''
      : peer
        ? `${unjudged.length ? 'the other outputs are ' : ''}not far from an 8-bit PTQ of the same layers (${judged.map((o) => `"${o.name}": ${o.peer ?? 'not measured'}`).join('; ')})`
        : 'outputs finite';
  const summary =
    failed.length === 0
      ? [notJudged, passed].filter(Boolean).join('; ')
      : [
          `the outputs differ from the original far more than an 8-bit PTQ of the same layers: ${failed.map((o) => o.text).join('; ')}`,
          notJudged,
        ]
          .filter(Boolean)
          .join('; ');
  return { ok: failed.length === 0, unjudged: unjudged.map((o) => o.name), outputs, summary };
}
