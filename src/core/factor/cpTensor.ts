// Operations on a CP model [[A, B, (C)]] of a 2-way (I x J) or 3-way (I x J x K, k fastest)
// tensor, shared by CP-ALS, ADMM and the baselines so both cases run the same algorithm.

import type { Kernels } from '../kernels/types.ts';
import { sumSquares } from './linalg.ts';

/** A dense tensor with its CP dimensions (2 or 3 modes). */
export interface CpTarget {
  x: Float32Array;
  dims: readonly number[];
  /** ||x||_F^2 in float64. */
  normSq: number;
}

export function cpTarget(x: Float32Array, dims: readonly number[]): CpTarget {
  const size = dims.reduce((p, d) => p * d, 1);
  if (dims.length < 2 || dims.length > 3) throw new RangeError('CP needs a 2-way or 3-way tensor');
  if (x.length !== size) {
    throw new RangeError(`tensor has ${x.length} values, dims ${dims.join('x')} need ${size}`);
  }
  return { x, dims, normSq: sumSquares(x) };
}

/**
 * Per-sweep memo of S = X_(1)^T A (JK x R), shared by the mode-1 and mode-2 MTTKRPs of a sweep
 * in mode order 0, 1, 2 (A only changes at mode 0). Create a fresh one for every sweep.
 */
export interface MttkrpCache {
  a: Float32Array | null;
  s: Float32Array | null;
}

export function newMttkrpCache(): MttkrpCache {
  return { a: null, s: null };
}

/**
 * F = X_(mode) times the Khatri-Rao product of the other factors: dims[mode] x rank. The
 * I*J*K*R work goes through sgemm, the fastest kernel: mode 0 is X_(1) (B kr C), modes 1 and 2
 * reduce the shared S = X_(1)^T A over the small K or J index. Two big products per sweep,
 * not three. (The mttkrp3 kernel is ~15 % slower than sgemm at 512 x 512 x 9, rank 1,141.)
 */
export function mttkrp(
  kernels: Kernels,
  target: CpTarget,
  factors: readonly Float32Array[],
  rank: number,
  mode: number,
  cache: MttkrpCache = newMttkrpCache(),
): Float32Array {
  const { x, dims } = target;
  if (dims.length === 2) return mttkrp2(kernels, x, dims, factors, rank, mode);
  const [iDim, jDim, kDim] = dims;
  const jk = jDim * kDim;
  if (mode === 0) {
    const kr = khatriRao(factors[1], factors[2], jDim, kDim, rank, krScratch(jk * rank));
    const out = new Float32Array(iDim * rank);
    kernels.sgemm(false, false, iDim, rank, jk, 1, x, jk, kr, rank, 0, out, rank);
    return out;
  }
  if (cache.a !== factors[0] || cache.s === null) {
    cache.s = new Float32Array(jk * rank);
    kernels.sgemm(true, false, jk, rank, iDim, 1, x, jk, factors[0], rank, 0, cache.s, rank);
    cache.a = factors[0];
  }
  return mode === 1
    ? reduceS(cache.s, factors[2], jDim, kDim, rank, true)
    : reduceS(cache.s, factors[1], jDim, kDim, rank, false);
}

// S[j,k,r] reduced over k against C (F_B[j,r], keepJ) or over j against B (F_C[k,r]), summed
// in float64 in b order. Over the K ~ 9 rows of a 3x3 conv the sums stay in four registers per
// column quad (2x faster than accumulating in an array); over J the array is kept, since J
// strided rows per quad miss the cache. Both give the same bits.
function reduceS(
  s: Float32Array,
  other: Float32Array,
  jDim: number,
  kDim: number,
  rank: number,
  keepJ: boolean,
): Float32Array {
  if (keepJ) return reduceOverK(s, other, jDim, kDim, rank);
  const out = new Float32Array(kDim * rank);
  const acc = new Float64Array(rank);
  for (let a = 0; a < kDim; a++) {
    acc.fill(0);
    for (let b = 0; b < jDim; b++) {
      const o = (b * kDim + a) * rank;
      const src = b * rank;
      for (let r = 0; r < rank; r++) acc[r] += s[o + r] * other[src + r];
    }
    out.set(acc, a * rank);
  }
  return out;
}

function reduceOverK(
  s: Float32Array,
  c: Float32Array,
  jDim: number,
  kDim: number,
  rank: number,
): Float32Array {
  const out = new Float32Array(jDim * rank);
  const r4 = rank - (rank % 4);
  for (let j = 0; j < jDim; j++) {
    const base = j * kDim * rank;
    const dst = j * rank;
    let r = 0;
    for (; r < r4; r += 4) {
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      let o = base + r;
      let src = r;
      for (let k = 0; k < kDim; k++) {
        t0 += s[o] * c[src];
        t1 += s[o + 1] * c[src + 1];
        t2 += s[o + 2] * c[src + 2];
        t3 += s[o + 3] * c[src + 3];
        o += rank;
        src += rank;
      }
      out[dst + r] = t0;
      out[dst + r + 1] = t1;
      out[dst + r + 2] = t2;
      out[dst + r + 3] = t3;
    }
    for (; r < rank; r++) {
      let t = 0;
      for (let k = 0; k < kDim; k++) t += s[base + k * rank + r] * c[k * rank + r];
      out[dst + r] = t;
    }
  }
  return out;
}

function mttkrp2(
  kernels: Kernels,
  x: Float32Array,
  dims: readonly number[],
  factors: readonly Float32Array[],
  rank: number,
  mode: number,
): Float32Array {
  const [rows, cols] = dims;
  if (mode === 0) {
    const out = new Float32Array(rows * rank);
    kernels.sgemm(false, false, rows, rank, cols, 1, x, cols, factors[1], rank, 0, out, rank);
    return out;
  }
  const out = new Float32Array(cols * rank);
  kernels.sgemm(true, false, cols, rank, rows, 1, x, cols, factors[0], rank, 0, out, rank);
  return out;
}

/**
 * Relative error from the last mode's products, without forming the tensor:
 * ||X - Xh||^2 = ||X||^2 - 2 <F, H> + <G, H^T H> where F, G were computed for the last mode
 * and H is its new factor (Kolda & Bader 2009, Sec. 3.4). Float32 F limits it to about 1e-3
 * near zero error, so callers recompute exactly when it is that small.
 */
export function lastModeError(
  kernels: Kernels,
  target: CpTarget,
  f: Float32Array,
  g: Float64Array,
  h: Float32Array,
  rank: number,
  cache: GramCache = newGramCache(),
): number {
  const last = target.dims.length - 1;
  const gh = factorGram(kernels, h, target.dims[last], rank, last, cache);
  let inner = 0;
  for (let i = 0; i < f.length; i++) inner += f[i] * h[i];
  let model = 0;
  for (let i = 0; i < g.length; i++) model += g[i] * gh[i];
  const sq = Math.max(target.normSq - 2 * inner + model, 0);
  return target.normSq > 0 ? Math.sqrt(sq / target.normSq) : Math.sqrt(sq);
}

/**
 * Gram matrices of the factors, memoised by array identity: ALS and ADMM replace a factor's
 * array when they update it, so a stale entry can only come from an in-place update, and
 * whoever does that must `forgetGram`.
 */
export interface GramCache {
  factors: (Float32Array | null)[];
  grams: (Float32Array | null)[];
}

export function newGramCache(): GramCache {
  return { factors: [], grams: [] };
}

export function forgetGram(cache: GramCache, mode: number): void {
  cache.factors[mode] = null;
  cache.grams[mode] = null;
}

/** F^T F of factor `mode` (rows x rank), from the cache when that factor is unchanged. */
export function factorGram(
  kernels: Kernels,
  factor: Float32Array,
  rows: number,
  rank: number,
  mode: number,
  cache: GramCache = newGramCache(),
): Float32Array {
  const hit = cache.factors[mode] === factor ? cache.grams[mode] : null;
  if (hit) return hit;
  const g = kernels.gram(factor, rows, rank);
  cache.factors[mode] = factor;
  cache.grams[mode] = g;
  return g;
}

/** Elementwise product of the Gram matrices of every factor except `mode`, in float64. */
export function gramExcept(
  kernels: Kernels,
  dims: readonly number[],
  factors: readonly Float32Array[],
  rank: number,
  mode: number,
  cache: GramCache = newGramCache(),
): Float64Array {
  const others = dims.map((_, n) => n).filter((n) => n !== mode);
  const grams = others.map((n) => factorGram(kernels, factors[n], dims[n], rank, n, cache));
  const g = new Float64Array(rank * rank);
  if (grams.length === 1) g.set(grams[0]);
  else {
    const [g0, g1] = grams;
    for (let i = 0; i < g.length; i++) g[i] = g0[i] * g1[i];
  }
  return g;
}

/** The full tensor [[A, B, (C)]], row-major like the target. */
export function cpReconstruct(
  kernels: Kernels,
  dims: readonly number[],
  factors: readonly Float32Array[],
  rank: number,
): Float32Array {
  const rows = dims[0];
  const cols = dims.slice(1).reduce((p, d) => p * d, 1);
  // The second operand is B (2-way) or the Khatri-Rao rows B[j] * C[k] at j*K + k (3-way).
  const right =
    dims.length === 2 ? factors[1] : khatriRao(factors[1], factors[2], dims[1], dims[2], rank);
  const out = new Float32Array(rows * cols);
  kernels.sgemm(false, true, rows, cols, rank, 1, factors[0], rank, right, rank, 0, out, cols);
  return out;
}

// One Khatri-Rao buffer, reused by every mode-0 MTTKRP: at C = 512, rank 1,141 it is 21 MB,
// and allocating it afresh each sweep cost more in garbage collection than filling it.
let scratch: Float32Array<ArrayBuffer> | null = null;
function krScratch(length: number): Float32Array<ArrayBuffer> {
  if (!scratch || scratch.length < length) scratch = new Float32Array(length);
  return scratch.subarray(0, length);
}

/** Rows (j*K + k) = B[j] * C[k]: the Khatri-Rao product matching X's j-major, k-fastest layout. */
function khatriRao(
  b: Float32Array,
  c: Float32Array,
  jDim: number,
  kDim: number,
  rank: number,
  out = new Float32Array(jDim * kDim * rank),
) {
  for (let j = 0; j < jDim; j++) {
    for (let k = 0; k < kDim; k++) {
      const o = (j * kDim + k) * rank;
      for (let r = 0; r < rank; r++) out[o + r] = b[j * rank + r] * c[k * rank + r];
    }
  }
  return out;
}

/** ||X - [[factors]]||_F / ||X||_F, the residual summed in float64. */
export function cpRelativeError(
  kernels: Kernels,
  t: CpTarget,
  factors: readonly Float32Array[],
  rank: number,
): number {
  return relativeErrorOf(t.x, cpReconstruct(kernels, t.dims, factors, rank), t.normSq);
}

/** ||x - y|| / ||x||, with ||x||^2 given (or computed). */
export function relativeErrorOf(x: Float32Array, y: Float32Array, normSq = sumSquares(x)): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - y[i];
    s += d * d;
  }
  return normSq > 0 ? Math.sqrt(s / normSq) : Math.sqrt(s);
}

/**
 * Rescales each rank-one term so its columns have equal norms across factors (product kept).
 * A CP solution is only defined up to such scalings; equal norms make one grid scale per
 * factor matrix fit every column about equally well.
 */
export function balanceColumns(dims: readonly number[], factors: Float32Array[], rank: number) {
  const norms = factors.map((f, n) => columnNorms(f, dims[n], rank));
  for (let r = 0; r < rank; r++) {
    let logSum = 0;
    let zero = false;
    for (const nr of norms) {
      if (nr[r] === 0) zero = true;
      logSum += Math.log(nr[r]);
    }
    if (zero) continue;
    const target = Math.exp(logSum / factors.length);
    factors.forEach((f, n) => {
      const g = target / norms[n][r];
      for (let i = 0; i < dims[n]; i++) f[i * rank + r] *= g;
    });
  }
}

export function columnNorms(f: Float32Array, rows: number, rank: number): Float64Array {
  const out = new Float64Array(rank);
  for (let i = 0; i < rows; i++) {
    for (let r = 0; r < rank; r++) out[r] += f[i * rank + r] * f[i * rank + r];
  }
  for (let r = 0; r < rank; r++) out[r] = Math.sqrt(out[r]);
  return out;
}
