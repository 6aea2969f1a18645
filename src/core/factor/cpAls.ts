// Float CP decomposition by alternating least squares (Kolda & Bader 2009, Sec. 3.4), from a
// deterministic start: by default truncated SVDs of the tensor's slices (sliceStart.ts) or, for
// a 2-way tensor, of the matrix, both by randomized range finders over sgemm; the old HOSVD
// start (leading eigenvectors of each unfolding's Gram matrix by Jacobi) stays selectable.
// Optionally with line-search extrapolation between sweeps (Bro 1998, Sec. 4.4; tensorly's
// `linesearch`): fewer sweeps to the same fit, used on wide layers (floatCpSchedule).

import type { Kernels } from '../kernels/types.ts';
import { normalSampler } from '../util/prng.ts';
import {
  type CpTarget,
  cpRelativeError,
  cpTarget,
  type GramCache,
  gramExcept,
  lastModeError,
  mttkrp,
  newGramCache,
  newMttkrpCache,
} from './cpTensor.ts';
import { dsyev, trace } from './linalg.ts';
import { randomizedSvd } from './rangeFinder.ts';
import { sliceSvdStart } from './sliceStart.ts';
import { type ConditionMemo, type SolvePrecision, solveRightSpd } from './solve.ts';

/**
 * 'randomized' (default): slice SVDs by randomized range finders, all on the kernels.
 * 'hosvd-jacobi' (alias 'hosvd'): the old start, whose plain-JavaScript Jacobi eigensolver
 * took 43 % of a 512-channel layer's time; kept as the benchmarks' peer.
 * 'random': seeded Gaussian factors.
 */
export type CpInit = 'randomized' | 'hosvd-jacobi' | 'hosvd' | 'random';

export interface CpAlsOptions {
  /** Default 300. */
  maxIterations?: number;
  /** Stop when the error changes by less than tol relative to itself (or is below 1e-6). Default 1e-7. */
  tol?: number;
  /** The start; every choice is deterministic for a seed. Default 'randomized'. */
  init?: CpInit;
  /** Seed of the sketches and random columns. Default 0. */
  seed?: number;
  /** Tikhonov weight relative to trace(G)/R; keeps swamp-prone high ranks solvable. Default 1e-9. */
  ridge?: number;
  /** 'auto' (default): blocked float32 solves where large and safe; 'float64': the old route. */
  solves?: SolvePrecision;
  /**
   * Line-search extrapolation after every sweep but the first and the last: the factors jump
   * to F_prev + t^(1/2) (F - F_prev) when that fits better. Default false.
   */
  extrapolate?: boolean;
  onIteration?: (iteration: number, error: number) => void;
  shouldStop?: () => boolean;
}

export interface CpDecomposition {
  /** One row-major dims[n] x rank matrix per mode. */
  factors: Float32Array[];
  rank: number;
  /** Relative error of the final factors. */
  error: number;
  iterations: number;
  errorHistory: number[];
}

/** CP-ALS of a 3-way (or 2-way) row-major tensor with k fastest. */
export function cpAls(
  kernels: Kernels,
  x: Float32Array,
  dims: readonly number[],
  rank: number,
  options: CpAlsOptions = {},
): CpDecomposition {
  const { maxIterations = 300, tol = 1e-7, ridge = 1e-9 } = options;
  const target = cpTarget(x, dims);
  const factors = cpStart(kernels, target, rank, options.init ?? 'randomized', options.seed ?? 0);
  const errorHistory: number[] = [];
  let iterations = 0;
  const grams = newGramCache();
  const memos = dims.map(() => ({ estimate: Number.POSITIVE_INFINITY, age: 0 }));
  let mode0: Float32Array | undefined;
  for (let it = 0; it < maxIterations; it++) {
    const before = factors.slice();
    let error = alsSweep(
      kernels,
      target,
      factors,
      rank,
      ridge,
      grams,
      options.solves,
      memos,
      mode0,
    );
    mode0 = undefined;
    if (options.extrapolate && it >= 1 && it + 1 < maxIterations) {
      const step = (it + 1) ** (1 / EXTRAPOLATION_ROOT);
      const jump = extrapolated(kernels, target, before, factors, rank, step, grams);
      if (jump.error < error) {
        factors.splice(0, factors.length, ...jump.factors);
        error = jump.error;
        mode0 = jump.mode0;
      }
    }
    errorHistory.push(error);
    iterations = it + 1;
    options.onIteration?.(iterations, error);
    const prev = errorHistory[it - 1];
    // Below 1e-6 the fit is exact to float32 precision and the change is only rounding noise.
    if (error < 1e-6 || (prev !== undefined && Math.abs(prev - error) < tol * prev)) break;
    if (options.shouldStop?.()) break;
  }
  const error = errorHistory.at(-1) ?? cpRelativeError(kernels, target, factors, rank);
  return { factors, rank, error, iterations, errorHistory };
}

/** One ALS sweep over the modes in order, updating `factors` in place; returns the error. */
export function alsSweep(
  kernels: Kernels,
  target: CpTarget,
  factors: Float32Array[],
  rank: number,
  ridge: number,
  grams: GramCache = newGramCache(),
  solves: SolvePrecision = 'auto',
  memos: ConditionMemo[] = [],
  mode0?: Float32Array,
): number {
  const cache = newMttkrpCache();
  const last = target.dims.length - 1;
  let f: Float32Array = new Float32Array(0);
  let g: Float64Array = new Float64Array(0);
  for (let n = 0; n <= last; n++) {
    // The least-squares factor with the others fixed: F (G + ridge I)^-1.
    g = gramExcept(kernels, target.dims, factors, rank, n, grams);
    const lambda = Math.max(ridge * (trace(g, rank) / rank), Number.MIN_VALUE);
    f = n === 0 && mode0 ? mode0 : mttkrp(kernels, target, factors, rank, n, cache);
    factors[n] = solveRightSpd(kernels, g, rank, f, target.dims[n], lambda, solves, memos[n]);
  }
  const estimate = lastModeError(kernels, target, f, g, factors[last], rank, grams);
  // The estimate's float32 noise floor is about 1e-3: be exact where that matters.
  return estimate < 1e-2 ? cpRelativeError(kernels, target, factors, rank) : estimate;
}

/**
 * The jump after sweep t is t^(1 / EXTRAPOLATION_ROOT). The cube root (3) was the first choice;
 * the square root (tensorly's default) reaches the float error of ~2 more sweeps on synthetic
 * 3x3 convs at rate 2, 12 sweeps (issue #14: C = 256 float 0.3190 vs 0.3237, final QAF 0.3416
 * vs 0.3438; C = 512 0.3175 vs 0.3223, 0.3419 vs 0.3442 with 2 outer steps and 4 polish
 * rounds), and 9 of its 10 jumps were taken. A root of 1.5 fits the same but has 3 rejected
 * jumps (each an MTTKRP spent for nothing); 1 overshoots. Only wide layers extrapolate
 * (floatCpSchedule).
 */
const EXTRAPOLATION_ROOT = 2;

/**
 * The factors F_prev + step (F - F_prev) and their error. The error comes from the mode-0
 * MTTKRP of the jumped factors (||X||^2 - 2 <M0, A> + sum of the Grams' product), which is
 * exactly the first product of the next sweep, so an accepted jump costs one Gram and a few
 * axpys; a rejected one, an MTTKRP. Float32 noise makes the estimate unusable below ~1e-2, so
 * there the jump reports +Infinity and is never taken.
 */
function extrapolated(
  kernels: Kernels,
  target: CpTarget,
  prev: readonly Float32Array[],
  next: readonly Float32Array[],
  rank: number,
  step: number,
  grams: GramCache,
): { factors: Float32Array[]; error: number; mode0: Float32Array } {
  const factors = next.map((f, n) => {
    const o = prev[n];
    const out = new Float32Array(f.length);
    for (let i = 0; i < f.length; i++) out[i] = o[i] + step * (f[i] - o[i]);
    return out;
  });
  const mode0 = mttkrp(kernels, target, factors, rank, 0);
  const g = gramExcept(kernels, target.dims, factors, rank, 0, grams);
  const ga = kernels.gram(factors[0], target.dims[0], rank);
  let inner = 0;
  for (let i = 0; i < mode0.length; i++) inner += mode0[i] * factors[0][i];
  let model = 0;
  for (let i = 0; i < g.length; i++) model += g[i] * ga[i];
  const sq = Math.max(target.normSq - 2 * inner + model, 0);
  const error = target.normSq > 0 ? Math.sqrt(sq / target.normSq) : Math.sqrt(sq);
  return { factors, error: error < 1e-2 ? Number.POSITIVE_INFINITY : error, mode0 };
}

/**
 * The CP-ALS sweeps of QAF's float start: `sweeps` plain ones, or from rank `fromRank` on
 * (0: never) `wideSweeps` extrapolated ones. Measured on synthetic 3x3 convs at rate 2 (issue
 * #14, npm run bench:wide): 12 extrapolated sweeps end at the float and final QAF error of 20
 * plain ones at C = 256 and 512 (final 0.3461 vs 0.3457 at 512, 0.3466 vs 0.3463 at 256) for
 * ~35 % less time. Narrow layers keep plain sweeps: there the float CP is cheap, and on
 * ResNet-20 fitting it further does not lower the final error.
 */
export function floatCpSchedule(
  rank: number,
  sweeps: number,
  wide: { fromRank: number; wideSweeps: number },
): { maxIterations: number; extrapolate: boolean } {
  if (wide.fromRank > 0 && rank >= wide.fromRank)
    return { maxIterations: wide.wideSweeps, extrapolate: true };
  return { maxIterations: sweeps, extrapolate: false };
}

/** The start factors of `cpAls`, one dims[n] x rank matrix per mode. */
export function cpStart(
  kernels: Kernels,
  target: CpTarget,
  rank: number,
  init: CpInit,
  seed: number,
): Float32Array[] {
  const { dims } = target;
  if (init === 'random') return dims.map((d, n) => randomFactor(d, rank, seed + 7919 * n));
  if (init === 'hosvd' || init === 'hosvd-jacobi') return hosvdInit(target, rank, seed);
  if (dims.length === 3) return sliceSvdStart(kernels, target, rank, seed);
  const [rows, cols] = dims;
  const { u, s, v } = randomizedSvd(kernels, target.x, rows, cols, rank, { seed });
  for (let i = 0; i < rows; i++) for (let r = 0; r < rank; r++) u[i * rank + r] *= s[r];
  return [u, v];
}

function randomFactor(rows: number, rank: number, seed: number): Float32Array {
  const next = normalSampler(seed);
  const sigma = 1 / Math.sqrt(rows);
  const out = new Float32Array(rows * rank);
  for (let i = 0; i < out.length; i++) out[i] = sigma * next();
  return out;
}

/**
 * Leading eigenvectors of X_(n) X_(n)^T for every mode; columns past the mode's size are
 * seeded random (as tensorly does), since a mode of size 9 has only 9 singular vectors.
 */
export function hosvdInit(target: CpTarget, rank: number, seed: number): Float32Array[] {
  return target.dims.map((d, n) => {
    const { vectors } = dsyev(unfoldingGram(target, n), d);
    const out = new Float32Array(d * rank);
    const next = normalSampler(seed + 104729 * (n + 1));
    const sigma = 1 / Math.sqrt(d);
    for (let i = 0; i < d; i++) {
      for (let r = 0; r < rank; r++)
        out[i * rank + r] = r < d ? vectors[i * d + r] : sigma * next();
    }
    return out;
  });
}

/** X_(n) X_(n)^T in float64: G[a, b] = sum over the other indices of x[.., a, ..] x[.., b, ..]. */
export function unfoldingGram(target: CpTarget, mode: number): Float64Array {
  const { x, dims } = target;
  const d = dims[mode];
  const pre = dims.slice(0, mode).reduce((p, v) => p * v, 1);
  const post = dims.slice(mode + 1).reduce((p, v) => p * v, 1);
  const g = new Float64Array(d * d);
  for (let p = 0; p < pre; p++) {
    const base = p * d * post;
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        let s = 0;
        const oa = base + a * post;
        const ob = base + b * post;
        for (let q = 0; q < post; q++) s += x[oa + q] * x[ob + q];
        g[a * d + b] += s;
      }
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) g[a * d + b] = g[b * d + a];
  return g;
}
