// Truncated SVD of a 2-way weight (1x1 conv, Gemm, MatMul), the float initialisation of the
// 2-way case: W ~= A B^T with A = U sqrt(S), B = V sqrt(S), which splits the singular values
// evenly so both factors live on similar scales before quantization.

import { jsKernels } from '../kernels/js.ts';
import type { Kernels } from '../kernels/types.ts';
import { dsyev } from './linalg.ts';
import { randomizedSvd } from './rangeFinder.ts';

export interface TruncatedSvd {
  /** rows x rank, U sqrt(S). */
  a: Float32Array;
  /** cols x rank, V sqrt(S). */
  b: Float32Array;
  /** The leading singular values, descending (zeros past min(rows, cols)). */
  singularValues: Float64Array;
}

export interface TruncatedSvdOptions {
  /**
   * 'randomized' (default): a randomized range finder over the kernels' sgemm
   * (rangeFinder.ts). 'hosvd-jacobi': the old route, the smaller Gram matrix in plain
   * JavaScript float64 and a cyclic Jacobi eigensolver (26 s for a 1000 x 512 Gemm), kept as
   * the benchmarks' peer.
   */
  init?: 'randomized' | 'hosvd-jacobi';
  /** The kernels for 'randomized'. Default: the plain TypeScript ones (correct, slower). */
  kernels?: Kernels;
  /** Seed of the sketch. Default 0. */
  seed?: number;
}

/** Rank-`rank` SVD of a rows x cols row-major matrix, split as A = U sqrt(S), B = V sqrt(S). */
export function truncatedSvd(
  x: Float32Array,
  rows: number,
  cols: number,
  rank: number,
  options: TruncatedSvdOptions = {},
): TruncatedSvd {
  if (options.init === 'hosvd-jacobi') return truncatedSvdJacobi(x, rows, cols, rank);
  const kernels = options.kernels ?? jsKernels;
  const { u, s, v } = randomizedSvd(kernels, x, rows, cols, rank, { seed: options.seed });
  for (let r = 0; r < rank; r++) {
    const root = Math.sqrt(s[r]);
    for (let i = 0; i < rows; i++) u[i * rank + r] *= root;
    for (let j = 0; j < cols; j++) v[j * rank + r] *= root;
  }
  return { a: u, b: v, singularValues: s };
}

/** The old route: the smaller Gram matrix in float64 JavaScript, cyclic Jacobi. */
export function truncatedSvdJacobi(
  x: Float32Array,
  rows: number,
  cols: number,
  rank: number,
): TruncatedSvd {
  // Work on the side with the smaller Gram matrix; the other side follows as X^T u / s.
  const transposed = rows > cols;
  const n = transposed ? cols : rows;
  const m = transposed ? rows : cols;
  const at = (i: number, j: number) => (transposed ? x[j * cols + i] : x[i * cols + j]);
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += at(i, k) * at(j, k);
      gram[i * n + j] = s;
      gram[j * n + i] = s;
    }
  }
  const { values, vectors } = dsyev(gram, n);
  const near = new Float32Array(n * rank); // the Gram side's factor
  const far = new Float32Array(m * rank);
  const singularValues = new Float64Array(rank);
  for (let r = 0; r < Math.min(rank, n); r++) {
    const sigma = Math.sqrt(Math.max(values[r], 0));
    singularValues[r] = sigma;
    if (sigma <= 1e-12 * Math.sqrt(Math.max(values[0], 0))) continue;
    const root = Math.sqrt(sigma);
    for (let i = 0; i < n; i++) near[i * rank + r] = vectors[i * n + r] * root;
    for (let k = 0; k < m; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += at(i, k) * vectors[i * n + r];
      far[k * rank + r] = s / root; // X^T u / sqrt(sigma) = v sqrt(sigma)
    }
  }
  return transposed ? { a: far, b: near, singularValues } : { a: near, b: far, singularValues };
}
