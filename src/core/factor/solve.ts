// Right-hand SPD solves X (G + lambda I) = F through the kernels' Cholesky, escalating the
// shift when G is numerically singular (rank above a mode's size makes that routine).

import { type Kernels, NotPositiveDefiniteError } from '../kernels/types.ts';
import { trace } from './linalg.ts';

/** Cholesky factor of G + lambda I, raising lambda x100 until it is positive definite. */
export function choleskyShifted(
  kernels: Kernels,
  g: Float64Array,
  n: number,
  lambda: number,
): { l: Float64Array; lambda: number } {
  const floor = Math.max((trace(g, n) / n) * 1e-12, 1e-30);
  let shift = lambda;
  for (let attempt = 0; attempt < 12; attempt++) {
    const shifted = Float64Array.from(g);
    for (let i = 0; i < n; i++) shifted[i * n + i] += shift;
    try {
      return { l: kernels.potrf(shifted, n), lambda: shift };
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
      shift = Math.max(shift * 100, floor);
    }
  }
  throw new NotPositiveDefiniteError(0);
}

/** X = F (G + lambda I)^-1 for F rows x n (float32 in and out, float64 inside). */
export function solveRightSpd(
  kernels: Kernels,
  g: Float64Array,
  n: number,
  f: Float32Array,
  rows: number,
  lambda: number,
): Float32Array {
  const { l } = choleskyShifted(kernels, g, n, lambda);
  const b = Float64Array.from(f);
  kernels.potrs(l, n, b, rows);
  return Float32Array.from(b);
}

/** (G + rho I)^-1 as an explicit float32 matrix, from one Cholesky factorization. */
export function inverseShifted(
  kernels: Kernels,
  g: Float64Array,
  n: number,
  rho: number,
): Float32Array {
  const { l } = choleskyShifted(kernels, g, n, rho);
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  kernels.potrs(l, n, eye, n);
  return Float32Array.from(eye);
}
