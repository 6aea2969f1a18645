// Symmetric b-bit projection with an MSE-searched clipping range (method doc, "project").
// The published search quantizes the whole tensor once per candidate (200 passes). The fast
// search here gets every candidate's exact sum of squared errors from a counting sort of x
// into value bins: the error of a candidate is a function of, for each code q, how many
// values round to >= q and their sum, and a threshold's bin gives both from suffix sums
// plus an exact scan of the one (rarely two) bins the threshold falls in. Cost
// O(n + bins + candidates * 2^bits * values-per-bin) instead of O(candidates * n).
//
// Rounding: x / s is a float32 division, as in the published (PyTorch, float32) code and as
// f32x4 computes it; JS gets the identical quotient from Math.fround(x / s) (double rounding
// is exact for one division of float32 operands). Everything else is float64.
//
// Determinism: every decision is made in a fixed order, written identically in
// workers/kernels/assembly/project.ts, so JS and WASM pick the same scale and the same codes
// on every engine. Inputs must be finite.
import type { GridProjection, ProjectOptions } from './types.ts';

export const defaultCandidates = 200;

/** Round half away from zero, exact for every double (Math.round sends -2.5 to -2). */
export function roundHalfAway(v: number): number {
  const t = Math.trunc(v);
  // `+ 0` turns -0 into +0, so codes and values never carry a negative zero.
  return (Math.abs(v - t) >= 0.5 ? t + Math.sign(v) : t) + 0;
}

/** The integer code of x on the grid of scale s (both float32): clamp(roundHalfAway(x / s)). */
export function gridCode(x: number, s: number, qMin: number, qMax: number): number {
  const q = roundHalfAway(Math.fround(x / s));
  return q < qMin ? qMin : Math.min(q, qMax);
}

/** Candidate c's scale: m = (0.2 + c/(candidates-1)) * maxAbs, s = 2m / (2^bits - 1), as float32. */
export function candidateScale(
  maxAbs: number,
  c: number,
  candidates: number,
  bits: number,
): number {
  const frac = candidates > 1 ? c / (candidates - 1) : 0;
  const m = maxAbs * (0.2 + frac);
  return Math.fround((2 * m) / ((1 << bits) - 1));
}

/** Number of value bins for n values: a power of two >= n/2 (a few values per bin). */
export function binCount(n: number): number {
  let h = 16;
  while (h * 2 < n) h *= 2;
  return h;
}

function maxAbsOf(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a > m) m = a;
  }
  return m;
}

/**
 * Sum of squared errors of x on the grid of scale s, straight from the definition, in float64
 * with two partial sums (even and odd indices): the order of the WASM build's f64x2 lanes.
 */
export function gridSse(x: Float32Array, s: number, bits: number): number {
  const qMin = -(1 << (bits - 1));
  const qMax = (1 << (bits - 1)) - 1;
  const lanes = [0, 0];
  for (let i = 0; i < x.length; i++) {
    const e = x[i] - s * gridCode(x[i], s, qMin, qMax);
    lanes[i & 1] += e * e;
  }
  return lanes[0] + lanes[1];
}

/**
 * Whether the fast search pays for a row: it costs about one tail lookup per threshold and
 * candidate, the direct search one pass over the row per candidate; measured, a tail costs
 * about as much as 16 values of a pass. Small rows at 8 bits (per-channel PTQ) go direct.
 */
export function fastSearchPays(rowLen: number, bits: number): boolean {
  return rowLen >= 16 * ((1 << bits) - 1);
}

/** The published search: one full pass per candidate; returns the chosen float32 scale. */
export function plainSearchScale(x: Float32Array, bits: number, candidates: number): number {
  const maxAbs = maxAbsOf(x);
  if (maxAbs === 0) return 0;
  let best = Number.POSITIVE_INFINITY;
  let bestScale = 0;
  for (let c = 0; c < candidates; c++) {
    const s = candidateScale(maxAbs, c, candidates, bits);
    if (s === 0) continue;
    const sse = gridSse(x, s, bits);
    if (sse < best) {
      best = sse;
      bestScale = s;
    }
  }
  return bestScale;
}

/** x ordered by value bin (stable counting sort), bin starts, suffix sums of that order. */
interface Binned {
  binned: Float32Array;
  start: Int32Array;
  suffix: Float64Array;
  /** Sum of x^2, accumulated from the last bin down. */
  sumSq: number;
  /** max|x| and bins / (2 max|x|), both float32. */
  max32: number;
  scale32: number;
  bins: number;
}

// In float32 arithmetic (fround after each step) so that the WASM build can compute the same
// bins with f32x4: the bins decide the summation order below, which must match bit for bit.
function binOf(v: number, b: Binned): number {
  const f = Math.trunc(Math.fround(Math.fround(Math.fround(v) + b.max32) * b.scale32));
  return f < 0 ? 0 : Math.min(f, b.bins - 1);
}

function binValues(x: Float32Array, maxAbs: number): Binned {
  const n = x.length;
  const bins = binCount(n);
  const b: Binned = {
    binned: new Float32Array(n),
    start: new Int32Array(bins + 1),
    suffix: new Float64Array(n + 1),
    sumSq: 0,
    max32: Math.fround(maxAbs),
    scale32: Math.fround(bins / (2 * maxAbs)),
    bins,
  };
  const binIdx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    binIdx[i] = binOf(x[i], b);
    b.start[binIdx[i] + 1]++;
  }
  for (let h = 0; h < bins; h++) b.start[h + 1] += b.start[h];
  const fill = b.start.slice(0, bins);
  for (let i = 0; i < n; i++) b.binned[fill[binIdx[i]]++] = x[i];
  // One descending pass for both sums: two independent add chains instead of two loops.
  for (let i = n - 1; i >= 0; i--) {
    const v = b.binned[i];
    b.suffix[i] = b.suffix[i + 1] + v;
    b.sumSq += v * v;
  }
  return b;
}

// Count and sum of the values whose code is >= q (q in (qMin, qMax]): code >= q means
// x/s >= q - 0.5 for q > 0 and x/s > q - 0.5 for q <= 0 (half away from zero). All values in
// bins above the one of t = (q - 0.5) s qualify (suffix sums); the values of t's bin (two bins
// if t is within the slack of a bin edge) are tested one by one. The slack (1e-6 relative) is
// far wider than the float32 rounding of x/s (6e-8), so only values within it need the exact
// division test.
function tail(b: Binned, s: number, q: number, out: Float64Array): void {
  const t = (q - 0.5) * s;
  const slack = Math.abs(t) * 1e-6;
  const tLo = t - slack;
  const tHi = t + slack;
  const above = b.start[binOf(tHi, b) + 1];
  const half = q - 0.5;
  let count = b.binned.length - above;
  let sum = b.suffix[above];
  for (let i = b.start[binOf(tLo, b)]; i < above; i++) {
    const v = b.binned[i];
    if (v > tHi || (v >= tLo && (q > 0 ? Math.fround(v / s) >= half : Math.fround(v / s) > half))) {
      count++;
      sum += v;
    }
  }
  out[0] = count;
  out[1] = sum;
}

/** The fast exact search; same optimum as the plain search up to float64 rounding of the SSE. */
export function fastSearchScale(x: Float32Array, bits: number, candidates: number): number {
  const maxAbs = maxAbsOf(x);
  if (maxAbs === 0) return 0;
  const b = binValues(x, maxAbs);
  const n = x.length;
  const qMin = -(1 << (bits - 1));
  const qMax = (1 << (bits - 1)) - 1;
  // code = qMin + sum_{q > qMin} [code >= q] and code^2 = qMin^2 + sum [code >= q] (2q - 1).
  // Threshold-major order: for a fixed q the thresholds grow with the candidate, so the bins
  // are walked in memory order. Each candidate still sums its tails in increasing q.
  const scales = new Float64Array(candidates);
  const sumXq = new Float64Array(candidates);
  const sumQq = new Float64Array(candidates);
  for (let c = 0; c < candidates; c++) {
    scales[c] = candidateScale(maxAbs, c, candidates, bits);
    sumXq[c] = qMin * b.suffix[0];
    sumQq[c] = n * qMin * qMin;
  }
  const t = new Float64Array(2);
  for (let q = qMin + 1; q <= qMax; q++) {
    for (let c = 0; c < candidates; c++) {
      if (scales[c] === 0) continue;
      tail(b, scales[c], q, t);
      sumXq[c] += t[1];
      sumQq[c] += t[0] * (2 * q - 1);
    }
  }
  let best = Number.POSITIVE_INFINITY;
  let bestScale = 0;
  for (let c = 0; c < candidates; c++) {
    const s = scales[c];
    if (s === 0) continue;
    const sse = b.sumSq - 2 * s * sumXq[c] + s * s * sumQq[c];
    if (sse < best) {
      best = sse;
      bestScale = s;
    }
  }
  return bestScale;
}

/** Validates projectToGrid's arguments (shared by the JS and WASM paths). */
export function checkProjectArgs(
  length: number,
  bits: number,
  options: ProjectOptions | undefined,
): { channels: number; candidates: number; rowLen: number } {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) {
    throw new RangeError(`projectToGrid: bits must be an integer in 1..8, got ${bits}`);
  }
  const channels = options?.channels ?? 1;
  const candidates = options?.candidates ?? defaultCandidates;
  if (!Number.isInteger(channels) || channels < 1 || length % channels !== 0) {
    throw new RangeError(`projectToGrid: ${length} values do not split into ${channels} rows`);
  }
  if (!Number.isInteger(candidates) || candidates < 1) {
    throw new RangeError(`projectToGrid: candidates must be a positive integer, got ${candidates}`);
  }
  return { channels, candidates, rowLen: length / channels };
}

type ScaleSearch = (x: Float32Array, bits: number, candidates: number) => number;

/** Projects each of `channels` rows with its own scale found by `search`. */
export function projectRows(
  x: Float32Array,
  bits: number,
  options: ProjectOptions | undefined,
  search: ScaleSearch,
): GridProjection {
  const { channels, candidates, rowLen } = checkProjectArgs(x.length, bits, options);
  const qMin = -(1 << (bits - 1));
  const qMax = (1 << (bits - 1)) - 1;
  const res: GridProjection = {
    codes: new Int8Array(x.length),
    scales: new Float32Array(channels),
    values: new Float32Array(x.length),
  };
  for (let ch = 0; ch < channels; ch++) {
    const o = ch * rowLen;
    const s = search(x.subarray(o, o + rowLen), bits, candidates);
    res.scales[ch] = s;
    if (s === 0) continue;
    for (let i = o; i < o + rowLen; i++) {
      const q = gridCode(x[i], s, qMin, qMax);
      res.codes[i] = q;
      res.values[i] = s * q;
    }
  }
  return res;
}

export function projectToGrid(
  x: Float32Array,
  bits: number,
  options?: ProjectOptions,
): GridProjection {
  return projectRows(x, bits, options, (row, b, candidates) =>
    fastSearchPays(row.length, b)
      ? fastSearchScale(row, b, candidates)
      : plainSearchScale(row, b, candidates),
  );
}

/** The published 200-pass search, kept as the baseline for tests and benchmarks. */
export function projectToGridPlain(
  x: Float32Array,
  bits: number,
  options?: ProjectOptions,
): GridProjection {
  return projectRows(x, bits, options, plainSearchScale);
}
