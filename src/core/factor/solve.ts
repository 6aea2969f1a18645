// Right-hand SPD solves X (G + lambda I) = F. Two routes:
// - float32, blocked over sgemm (cholesky32.ts): what CP-ALS and ADMM use at every rank where
//   it is safe, since at rank ~1,100 the float64 potrf/potrs kernels (triangular work at a
//   fraction of sgemm's speed) took 80 % of a layer's time;
// - float64 through the kernels' potrf/potrs, escalating the shift when G is numerically
//   singular (rank above a mode's size makes that routine): small systems, ill-conditioned
//   ones, the fallback when float32 Cholesky breaks down, and everything with
//   `solves: 'float64'` (the old behaviour, kept as the benchmarks' peer).

import { type Kernels, NotPositiveDefiniteError } from '../kernels/types.ts';
import { type Cholesky32, conditionEstimate, potrf32, potrs32 } from './cholesky32.ts';
import { trace } from './linalg.ts';

// Below these orders the float64 kernels are as fast (measured: one CP-ALS solve breaks even
// near n = 400; a factorization plus five ADMM solves, against the explicit inverse, near 250).
const MIN_BLOCKED_SOLVE = 384;
const MIN_BLOCKED_FACTOR = 256;
// Largest estimated condition number the float32 route accepts. Its error in X is about
// cond * 1e-6 relative along G's weakest directions (the objective only moves by the square
// of that); CP-ALS's systems on real and synthetic layers sit at 1e2-1e4.
const MAX_FLOAT32_CONDITION = 1e5;

/** 'auto': blocked float32 where it is large and safe, else float64. 'float64': always float64. */
export type SolvePrecision = 'auto' | 'float64';

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

/**
 * The last condition estimate of one mode's system, so that CP-ALS, whose systems change
 * slowly from sweep to sweep, need not estimate it at every sweep.
 */
export interface ConditionMemo {
  estimate: number;
  /** Solves since the estimate. */
  age: number;
}

// A system estimated 100x inside the float32 limit is trusted for this many more solves.
const TRUSTED_SOLVES = 4;

/**
 * X = F (G + lambda I)^-1 for F rows x n (float32 in and out): the blocked float32 route when
 * G + lambda I is large and well-conditioned enough, else float64.
 */
export function solveRightSpd(
  kernels: Kernels,
  g: Float64Array,
  n: number,
  f: Float32Array,
  rows: number,
  lambda: number,
  solves: SolvePrecision = 'auto',
  memo?: ConditionMemo,
): Float32Array {
  const blocked = solves === 'auto' && n >= MIN_BLOCKED_SOLVE;
  const chol = blocked ? potrf32(kernels, g, n, lambda) : null;
  if (chol && wellConditioned(chol, g, lambda, memo)) return potrs32(kernels, chol, f, rows);
  return solveRightSpd64(kernels, g, n, f, rows, lambda);
}

function wellConditioned(
  chol: Cholesky32,
  g: Float64Array,
  lambda: number,
  memo?: ConditionMemo,
): boolean {
  if (memo && memo.estimate * 100 <= MAX_FLOAT32_CONDITION && memo.age < TRUSTED_SOLVES) {
    memo.age++;
    return true;
  }
  const estimate = conditionEstimate(chol, g, lambda);
  if (memo) {
    memo.estimate = estimate;
    memo.age = 0;
  }
  return estimate <= MAX_FLOAT32_CONDITION;
}

/**
 * A factorization of G + rho I for repeated solves (ADMM's inner steps): float32 and blocked
 * when n is large (rho = trace(G)/R bounds the condition number by R + 1, which float32
 * handles), else the explicit inverse from the float64 kernels (one product per solve).
 */
export type ShiftedFactor =
  | { kind: 'cholesky32'; chol: Cholesky32 }
  | { kind: 'inverse'; inv: Float32Array };

export function factorShifted(
  kernels: Kernels,
  g: Float64Array,
  n: number,
  rho: number,
  solves: SolvePrecision = 'auto',
): ShiftedFactor {
  const chol = solves === 'auto' && n >= MIN_BLOCKED_FACTOR ? potrf32(kernels, g, n, rho) : null;
  if (chol) return { kind: 'cholesky32', chol };
  return { kind: 'inverse', inv: inverseShifted(kernels, g, n, rho) };
}

/** X = B (G + rho I)^-1 for B rows x n, from a `factorShifted` factor. */
export function solveShifted(
  kernels: Kernels,
  factor: ShiftedFactor,
  n: number,
  b: Float32Array,
  rows: number,
  out?: Float32Array,
): Float32Array {
  if (factor.kind === 'cholesky32') return potrs32(kernels, factor.chol, b, rows, out);
  const res = out ?? new Float32Array(rows * n);
  kernels.sgemm(false, false, rows, n, n, 1, b, n, factor.inv, n, 0, res, n);
  return res;
}

/** The float64 route of `solveRightSpd`. */
export function solveRightSpd64(
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
