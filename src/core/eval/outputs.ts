// How far a model's outputs are from a reference's, per output, for any model: relative L2,
// cosine, max |difference| and SQNR for every output; top-1 agreement only where an output is a
// class score vector per sample ([N, C]); pixel agreement where it is a probability map (rank 3
// or more, every reference value in [0, 1]). Sums, not means, so batching never changes a figure.

export type OutputKind = 'classes' | 'map' | 'values';

export interface OutputMetrics {
  name: string;
  kind: OutputKind;
  /** Dims of the output for one batch, as first seen. */
  dims: number[];
  /** Samples (rows of the batch axis) compared. */
  samples: number;
  /** ||model - reference|| / ||reference|| (||model - reference|| when the reference is 0). */
  relativeL2: number;
  cosine: number;
  maxAbsDiff: number;
  /** 10 log10(||reference||^2 / ||model - reference||^2); Infinity when equal. */
  sqnrDb: number;
  /** Share of samples whose argmax agrees; only for class scores. */
  top1Agreement: number | null;
  /** Share of values on the same side of `threshold`; only for probability maps. */
  pixelAgreement: number | null;
  threshold: number | null;
  /**
   * Both models give this one value for every element compared (e.g. 0: an all-zero map at a
   * 1x1 input): no figure can tell right from wrong on these inputs. Null otherwise.
   */
  constantValue: number | null;
}

/** One output of one batch: `dims[0]` is the batch axis when it equals the batch fed. */
export interface OutputValues {
  data: ArrayLike<number | bigint>;
  dims: readonly number[];
}

interface Sums {
  dims: number[];
  samples: number;
  count: number;
  dd: number;
  xx: number;
  yy: number;
  xy: number;
  maxAbs: number;
  rows: number;
  agreeRows: number;
  agreeValues: number;
  unitRange: boolean;
  finite: boolean;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export const DEFAULT_MAP_THRESHOLD = 0.5;

export class OutputAccumulator {
  private readonly sums = new Map<string, Sums>();

  constructor(private readonly threshold = DEFAULT_MAP_THRESHOLD) {}

  /**
   * Adds one batch of one output. Only the first `rows` samples count (the rest pad a fixed
   * batch); an output whose first dim is not the batch fed (`batch`) counts whole.
   */
  add(name: string, reference: OutputValues, model: OutputValues, rows: number, batch: number) {
    if (reference.data.length !== model.data.length) {
      throw new Error(
        `output "${name}" has ${model.data.length} values but the reference has ${reference.data.length}`,
      );
    }
    const batched = reference.dims[0] === batch && batch > 0;
    const per = batched ? reference.data.length / batch : reference.data.length;
    const used = batched ? rows : 1;
    const n = used * per;
    let s = this.sums.get(name);
    if (!s) {
      s = newSums([...reference.dims]);
      this.sums.set(name, s);
    }
    const x = reference.data;
    const y = model.data;
    for (let i = 0; i < n; i++) {
      const a = Number(x[i]);
      const b = Number(y[i]);
      const d = b - a;
      s.dd += d * d;
      s.xx += a * a;
      s.yy += b * b;
      s.xy += a * b;
      if (!Number.isFinite(b)) s.finite = false;
      else if (Math.abs(d) > s.maxAbs) s.maxAbs = Math.abs(d);
      if (a < 0 || a > 1) s.unitRange = false;
      if (a > this.threshold === b > this.threshold) s.agreeValues++;
      if (a < s.xMin) s.xMin = a;
      if (a > s.xMax) s.xMax = a;
      if (b < s.yMin) s.yMin = b;
      if (b > s.yMax) s.yMax = b;
    }
    s.count += n;
    s.samples += used;
    if (isClassScores(reference.dims)) {
      const classes = reference.dims[1];
      for (let r = 0; r < used; r++) {
        if (argmax(x, r * classes, classes) === argmax(y, r * classes, classes)) s.agreeRows++;
      }
      s.rows += used;
    }
  }

  result(): OutputMetrics[] {
    return [...this.sums].map(([name, s]) => metricsOf(name, s, this.threshold));
  }
}

function newSums(dims: number[]): Sums {
  return {
    dims,
    samples: 0,
    count: 0,
    dd: 0,
    xx: 0,
    yy: 0,
    xy: 0,
    maxAbs: 0,
    rows: 0,
    agreeRows: 0,
    agreeValues: 0,
    unitRange: true,
    finite: true,
    xMin: Infinity,
    xMax: -Infinity,
    yMin: Infinity,
    yMax: -Infinity,
  };
}

/** [N, C] with C > 1: one score per class for each sample. */
export function isClassScores(dims: readonly number[]): boolean {
  return dims.length === 2 && dims[1] > 1;
}

function argmax(v: ArrayLike<number | bigint>, start: number, count: number): number {
  let best = 0;
  for (let j = 1; j < count; j++) if (Number(v[start + j]) > Number(v[start + best])) best = j;
  return best;
}

/** Equal up to float32 rounding (a constant output computed twice may differ in the last bit). */
function same(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1e-30, Math.abs(a), Math.abs(b)) || a === b;
}

/** The one value both models give everywhere, or null. */
function constantOf(s: Sums): number | null {
  if (s.count === 0 || !s.finite) return null;
  const flat = same(s.xMin, s.xMax) && same(s.yMin, s.yMax) && same(s.xMin, s.yMin);
  return flat ? s.xMin + 0 : null; // + 0: -0 reads as 0
}

function metricsOf(name: string, s: Sums, threshold: number): OutputMetrics {
  const kind: OutputKind = isClassScores(s.dims)
    ? 'classes'
    : s.dims.length >= 3 && s.unitRange
      ? 'map'
      : 'values';
  const nan = Number.NaN;
  const relativeL2 = !s.finite ? nan : s.xx > 0 ? Math.sqrt(s.dd / s.xx) : Math.sqrt(s.dd);
  const cosine = s.xx > 0 && s.yy > 0 && s.finite ? s.xy / Math.sqrt(s.xx * s.yy) : nan;
  const sqnrDb = !s.finite ? nan : s.dd === 0 ? Infinity : 10 * Math.log10(s.xx / s.dd);
  return {
    name,
    kind,
    dims: s.dims,
    samples: s.samples,
    relativeL2,
    cosine,
    maxAbsDiff: s.finite ? s.maxAbs : nan,
    sqnrDb,
    top1Agreement: kind === 'classes' && s.rows > 0 ? s.agreeRows / s.rows : null,
    pixelAgreement: kind === 'map' && s.count > 0 ? s.agreeValues / s.count : null,
    threshold: kind === 'map' ? threshold : null,
    constantValue: constantOf(s),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** What to do about an output the inputs never move (shells may name their own flag). */
export const REALISTIC_INPUTS_HINT =
  'give realistic inputs (e.g. your own arrays: qaf compress --check-data x.npz, qaf eval --inputs x.npz)';

/** "all zero" or "constant (0.5)": an output both models hold at one value. */
export function describeConstant(value: number): string {
  return value === 0 ? 'all zero' : `constant (${value.toPrecision(4)})`;
}

/** The sentence for an output both models hold at one value on these inputs. */
export function unjudgeableOutput(m: OutputMetrics, hint = REALISTIC_INPUTS_HINT): string | null {
  if (m.constantValue === null) return null;
  return `both outputs are ${describeConstant(m.constantValue)} on these inputs: the check cannot judge this output; ${hint}`;
}

/** Cosine, or why it has none (an output that is all zero has no direction). */
export function describeCosine(m: OutputMetrics): string {
  if (Number.isFinite(m.cosine)) return `cosine ${m.cosine.toFixed(4)}`;
  return 'cosine undefined (one output is all zero)';
}

function describeSqnr(m: OutputMetrics): string {
  if (m.sqnrDb === Infinity) return 'SQNR infinite (equal)';
  if (Number.isFinite(m.sqnrDb)) return `SQNR ${m.sqnrDb.toFixed(1)} dB`;
  // -Infinity: the original is all zero, so any difference is infinitely loud against it.
  return 'SQNR undefined (the original output is all zero)';
}

/** One output's figures in a line, e.g. for a report or the CLI. */
export function describeOutput(m: OutputMetrics, hint = REALISTIC_INPUTS_HINT): string {
  const flat = unjudgeableOutput(m, hint);
  if (flat) return `${m.name}: ${flat}`;
  const parts = [
    `rel. L2 ${m.relativeL2.toFixed(4)}`,
    describeCosine(m),
    `max |diff| ${m.maxAbsDiff.toPrecision(3)}`,
    describeSqnr(m),
  ];
  if (m.top1Agreement !== null) parts.unshift(`top-1 agreement ${pct(m.top1Agreement)}`);
  if (m.pixelAgreement !== null) {
    parts.unshift(`pixel agreement ${pct(m.pixelAgreement)} at ${m.threshold}`);
  }
  return `${m.name}: ${parts.join(', ')}`;
}
