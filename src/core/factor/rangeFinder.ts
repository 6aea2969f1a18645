// Truncated SVD by a randomized range finder (Halko, Martinsson & Tropp 2011, Algs. 4.4 and
// 5.1): a seeded random-sign sketch, a few power iterations with re-orthonormalisation, then a
// Rayleigh-Ritz step on the small projected matrix. The passes over the matrix are sgemm;
// orthonormalisation is Cholesky-QR (Gram by sgemm, potrf) and the only eigensolver call is
// on a k x k matrix (k = rank + oversampling). Deterministic for a seed, in every engine: the
// sketch is random signs from the integer PRNG (a Gaussian one would go through Math.log and
// Math.cos, whose last bits the JavaScript engines need not agree on; Rademacher test matrices
// find ranges as well as Gaussian ones, measured here too), and every sum is sequential.

import type { Kernels } from '../kernels/types.ts';
import { mulberry32 } from '../util/prng.ts';
import { dsyevQl, lowerInverse, trace, transpose } from './linalg.ts';
import { choleskyShifted } from './solve.ts';

export interface Svd {
  /** rows x rank, orthonormal columns (zero past the matrix's numerical rank). */
  u: Float32Array;
  /** The leading singular values, descending (zeros past the numerical rank). */
  s: Float64Array;
  /** cols x rank, orthonormal columns. */
  v: Float32Array;
}

export interface RandomizedSvdOptions {
  /** Extra sketch columns past the rank. Default max(10, rank / 4). */
  oversample?: number;
  /**
   * Power iterations; each is two passes over the matrix. Default 6: weights have a flat
   * noise floor around the cut, where few iterations leave the error ~1 % above optimal
   * (a 1000 x 512 layer at rank 169: 0.4453 after 2, 0.4367 after 6, optimum 0.4366).
   */
  powerIterations?: number;
  seed?: number;
}

/**
 * The rank-`rank` truncated SVD of a rows x cols row-major float32 matrix. When the sketch
 * would cover most of the smaller side, the exact Gram-matrix route is as cheap and is taken
 * instead.
 */
export function randomizedSvd(
  kernels: Kernels,
  x: Float32Array,
  rows: number,
  cols: number,
  rank: number,
  options: RandomizedSvdOptions = {},
): Svd {
  const small = Math.min(rows, cols);
  const p = options.oversample ?? Math.max(10, Math.ceil(rank / 4));
  const k = Math.min(small, rank + p);
  if (k >= 0.8 * small) return gramSvd(kernels, x, rows, cols, rank);
  const omega = signMatrix(cols, k, options.seed ?? 0);
  const iterations = options.powerIterations ?? 6;
  // Between passes a basis only needs to be well conditioned: one shifted Cholesky-QR per
  // power iteration, on the far side (X^T Q has the condition of X restricted to Q, so the
  // product X X^T Q does not square it twice). The last basis must be orthonormal for the
  // Rayleigh-Ritz step.
  let q = times(kernels, false, x, rows, cols, omega, k);
  for (let it = 0; it < iterations; it++) {
    const z = conditionBasis(kernels, times(kernels, true, x, rows, cols, q, k), cols, k);
    q = times(kernels, false, x, rows, cols, z, k);
    if (it < iterations - 1) q = conditionBasis(kernels, q, rows, k);
  }
  q = orthonormalize(kernels, q, rows, k);
  // Rayleigh-Ritz: B = Q^T X (k x cols), kept transposed; its SVD from the k x k B B^T.
  const bt = times(kernels, true, x, rows, cols, q, k);
  return ritz(kernels, q, rows, bt, cols, k, rank);
}

/** Exact truncated SVD through the Gram matrix of the smaller side (float32 Gram, float64 eigensolver). */
export function gramSvd(
  kernels: Kernels,
  x: Float32Array,
  rows: number,
  cols: number,
  rank: number,
): Svd {
  if (rows < cols) {
    // X^T (cols x rows) has the smaller Gram X X^T: decompose it and swap the sides.
    const t = transpose(x, rows, cols);
    const { u, s, v } = gramSvd(kernels, t, cols, rows, rank);
    return { u: v, s, v: u };
  }
  // rows >= cols: eigenvectors of X^T X are V; U = X V / s.
  const eye = new Float32Array(cols * cols);
  for (let i = 0; i < cols; i++) eye[i * cols + i] = 1;
  return ritz(kernels, eye, cols, x, rows, cols, rank, true);
}

// Given an orthonormal basis Q (qRows x k) and Bt = X^T Q (bRows x k), the SVD of Q B: the
// eigenvectors W of Bt^T Bt give U = Q W and V = Bt W / s. With `swap`, the roles are given
// the other way round (Q = I, Bt = X): then U and V trade places.
function ritz(
  kernels: Kernels,
  q: Float32Array,
  qRows: number,
  bt: Float32Array,
  bRows: number,
  k: number,
  rank: number,
  swap = false,
): Svd {
  const { values, rows: vecs } = dsyevQl(Float64Array.from(kernels.gram(bt, bRows, k)), k);
  const r = Math.min(rank, k);
  const w = new Float32Array(k * rank);
  const s = new Float64Array(rank);
  const floor = 1e-12 * Math.sqrt(Math.max(values[0] ?? 0, 0));
  for (let c = 0; c < r; c++) {
    const sigma = Math.sqrt(Math.max(values[c], 0));
    if (!(sigma > floor)) break;
    s[c] = sigma;
    for (let j = 0; j < k; j++) w[j * rank + c] = vecs[c * k + j];
  }
  const left = new Float32Array(qRows * rank);
  kernels.sgemm(false, false, qRows, rank, k, 1, q, k, w, rank, 0, left, rank);
  const right = new Float32Array(bRows * rank);
  kernels.sgemm(false, false, bRows, rank, k, 1, bt, k, w, rank, 0, right, rank);
  for (let i = 0; i < bRows; i++) {
    for (let c = 0; c < rank; c++) right[i * rank + c] = s[c] > 0 ? right[i * rank + c] / s[c] : 0;
  }
  return swap ? { u: right, s, v: left } : { u: left, s, v: right };
}

// op(X) Y: X Y (rows x k) for Y cols x k, or X^T Y (cols x k) for Y rows x k.
function times(
  kernels: Kernels,
  transposeX: boolean,
  x: Float32Array,
  rows: number,
  cols: number,
  y: Float32Array,
  k: number,
): Float32Array {
  const m = transposeX ? cols : rows;
  const out = new Float32Array(m * k);
  kernels.sgemm(transposeX, false, m, k, transposeX ? rows : cols, 1, x, cols, y, k, 0, out, k);
  return out;
}

/**
 * An orthonormal basis of the columns of y (rows x k) by Cholesky-QR: Q = Y L^-T with
 * Y^T Y = L L^T, repeated until L is well conditioned (CholeskyQR2, Fukaya et al. 2020: two
 * passes make Q orthonormal to float32 accuracy when the first L has cond <= ~1e3). A Gram
 * matrix in float32 is only positive definite to its rounding and a sketch of a low-rank
 * matrix is singular: then the pass is shifted (by 1e-5 of the mean diagonal, escalating),
 * which still gives a well-conditioned basis of the same span, and more passes follow.
 * Directions the sketch does not have come out as unit vectors of rounding noise, which only
 * act as extra oversampling.
 */
export function orthonormalize(
  kernels: Kernels,
  y: Float32Array,
  rows: number,
  k: number,
): Float32Array {
  let q = y;
  for (let pass = 0; pass < 4; pass++) {
    const { basis, conditionSq } = choleskyQrPass(kernels, q, rows, k, pass === 0 ? 0 : -1);
    q = basis;
    if (pass >= 1 && conditionSq < 1e4) break;
  }
  return q;
}

/** One shifted Cholesky-QR pass: a well-conditioned basis of the same span, not orthonormal. */
function conditionBasis(kernels: Kernels, y: Float32Array, rows: number, k: number) {
  return choleskyQrPass(kernels, y, rows, k, 1e-5).basis;
}

// shiftRatio: the shift as a fraction of the mean diagonal; 0 tries unshifted first (with an
// escalating shift if that fails); -1 never shifts unless it must.
function choleskyQrPass(
  kernels: Kernels,
  y: Float32Array,
  rows: number,
  k: number,
  shiftRatio: number,
): { basis: Float32Array; conditionSq: number } {
  const g = Float64Array.from(kernels.gram(y, rows, k));
  const { l, lambda } = choleskyShifted(kernels, g, k, Math.max(shiftRatio, 0) * (trace(g, k) / k));
  // (max/min diagonal of L)^2 bounds cond(Y^T Y) from below; a shift means Y was singular.
  let big = 0;
  let tiny = Number.POSITIVE_INFINITY;
  for (let i = 0; i < k; i++) {
    big = Math.max(big, l[i * k + i]);
    tiny = Math.min(tiny, l[i * k + i]);
  }
  const conditionSq = lambda > 0 && shiftRatio <= 0 ? Number.POSITIVE_INFINITY : (big / tiny) ** 2;
  const linv = Float32Array.from(lowerInverse(l, k));
  const basis = new Float32Array(rows * k);
  kernels.sgemm(false, true, rows, k, k, 1, y, k, linv, k, 0, basis, k);
  return { basis, conditionSq };
}

/** A rows x cols matrix of seeded random signs (+-1). */
export function signMatrix(rows: number, cols: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: rows * cols }, () => (next() < 0.5 ? -1 : 1));
}
