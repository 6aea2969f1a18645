// Data-aware QAF (issue #13, docs/data-aware-qaf.md): the AO-ADMM of admm.ts with the error of
// the layer's OUTPUT on calibration inputs as the objective. With the input's second moment
// approximated by a Kronecker product W_1 (x) W_2 (channels (x) kernel offsets) the objective is
//   ||X - [[A, B, C]]||_W^2 = <D, D x_2 W_1 x_3 W_2>,   D = X - [[A, B, C]],
// and a factor update stays a small least-squares problem: with Xw = X x_2 W_1 x_3 W_2,
//   G_n = Hadamard over m != n of H_m^T W_m H_m,   F_n = MTTKRP(Xw) for mode n,
// the ADMM step solves  W_n H G_n + rho H = F_n + rho (Z - U)  (a Sylvester equation when mode
// n is weighted, solved in the eigenbases of W_n and G_n; the plain shifted solve when it is not).
// W = I everywhere is the published objective.

import type { Kernels } from '../kernels/types.ts';
import {
  ADMM_PRESETS,
  type AdmmOptions,
  type AdmmParams,
  admmInnerLoop,
  cloneGrid,
  outerConverged,
  type QuantizedCp,
  wideComponentParams,
} from './admm.ts';
import {
  balanceColumns,
  cpReconstruct,
  cpTarget,
  type MttkrpCache,
  mttkrp,
  newMttkrpCache,
} from './cpTensor.ts';
import type { ModeWeights } from './inputMoments.ts';
import { dsyevQl, trace } from './linalg.ts';
import { polishFactor, polishFactorColumns } from './polish.ts';
import { choleskyShifted, factorShifted, type ShiftedFactor, solveShifted } from './solve.ts';
import type { GridFactor } from './types.ts';
import { polishWeightedFactor, polishWeightedFactorColumns } from './weightedPolish.ts';

export interface WeightedCp extends QuantizedCp {
  /** sqrt(||X - Xh||_W^2 / ||X||_W^2): the relative output error the weights predict. */
  weightedError: number;
}

export interface WeightedAdmmOptions extends AdmmOptions {
  /**
   * Weighted float ALS sweeps from `init` before the ADMM (the float start is fitted to the
   * published objective; a few sweeps move it to the weighted one). Default 5.
   */
  startSweeps?: number;
}

/** The weighted problem, prepared once per layer. */
interface WeightedProblem {
  dims: readonly number[];
  rank: number;
  weights: ModeWeights;
  /** Float32 copies of the weights for the kernels. */
  weights32: (Float32Array | null)[];
  /** Eigen-decompositions of the weights: rows are eigenvectors. */
  eigen: ({ rows: Float32Array; values: Float64Array } | null)[];
  /** Xw as a CP target (its normSq is unused). */
  xw: ReturnType<typeof cpTarget>;
  /** ||X||_W^2 = <X, Xw>. */
  normW: number;
  /** Weighted modes with at most this many rows solve row by row (rowSolver; 0: none). */
  rowSolveRows: number;
}

/** AO-ADMM on the W-weighted objective from float factors `init` (not modified). */
export function admmWeightedCp(
  kernels: Kernels,
  x: Float32Array,
  dims: readonly number[],
  init: readonly Float32Array[],
  rank: number,
  bits: number,
  weights: ModeWeights,
  options: WeightedAdmmOptions = {},
): WeightedCp {
  const columns = options.scales === 'component';
  const params = wideWeightedParams(
    { ...ADMM_PRESETS[options.preset ?? 'default'], ...options.params },
    rank,
    columns,
  );
  const wide = params.wideFromRank > 0 && rank >= params.wideFromRank;
  const problem = weightedProblem(
    kernels,
    x,
    dims,
    rank,
    weights,
    wide ? params.wideWeightedRowSolves : 0,
  );
  const sweeps = options.startSweeps ?? ((wide && params.wideWeightedStartSweeps) || 5);
  const h = alsStart(kernels, problem, init, sweeps);
  if (params.balance) balanceColumns(dims, h, rank);
  const duals = dims.map((d) => new Float32Array(d * rank));
  const grid: GridFactor[] = [];
  const errorHistory: number[] = [];
  let best: { factors: GridFactor[]; error: number } | null = null;
  let innerSteps = 0;
  let sinceImproved = 0;
  for (let t = 0; t < params.maxOuter; t++) {
    const cache = newMttkrpCache();
    let estimate = 0;
    for (let n = 0; n < dims.length; n++) {
      const step = factorStep(kernels, problem, h, duals[n], n, bits, params, cache, columns);
      grid[n] = step.factor;
      h[n] = step.factor.values;
      innerSteps += step.innerSteps;
      if (n === dims.length - 1) estimate = errorFromLastMode(kernels, problem, h, step.f, step.g);
    }
    errorHistory.push(estimate);
    options.onOuterStep?.(t + 1, estimate);
    if (best === null || estimate < best.error * (1 - params.tol)) sinceImproved = 0;
    else sinceImproved++;
    if (best === null || estimate < best.error)
      best = { factors: grid.map(cloneGrid), error: estimate };
    if (outerConverged(errorHistory, params, sinceImproved) || options.shouldStop?.()) break;
  }
  let factors = params.keepBest && best ? best.factors : grid;
  if (params.polishRounds > 0) factors = polish(kernels, problem, factors, bits, params);
  const values = factors.map((f) => f.values);
  const xh = cpReconstruct(kernels, dims, values, rank);
  const { plain, weighted } = residualErrors(kernels, problem, x, xh);
  return {
    factors,
    rank,
    bits,
    error: plain,
    weightedError: weighted,
    iterations: errorHistory.length,
    innerSteps,
    errorHistory,
  };
}

/**
 * The published path's wide per-component caps (wideComponentParams: outer steps, candidates)
 * with the data-aware solver's own polish rounds (`wideWeightedPolish`).
 */
export function wideWeightedParams(p: AdmmParams, rank: number, columns: boolean): AdmmParams {
  const capped = wideComponentParams(p, rank, columns);
  if (capped === p || p.wideWeightedPolish <= 0) return capped;
  return { ...capped, polishRounds: p.wideWeightedPolish };
}

function weightedProblem(
  kernels: Kernels,
  x: Float32Array,
  dims: readonly number[],
  rank: number,
  weights: ModeWeights,
  rowSolveRows = 0,
): WeightedProblem {
  if (weights.length !== dims.length) throw new RangeError('one weight (or null) per mode');
  weights.forEach((w, n) => {
    if (w && w.length !== dims[n] * dims[n]) {
      throw new RangeError(`mode ${n} weight must be ${dims[n]} x ${dims[n]}`);
    }
  });
  const weights32 = weights.map((w) => (w ? Float32Array.from(w) : null));
  const eigen = weights.map((w, n) => {
    if (!w) return null;
    const { values, rows } = dsyevQl(w, dims[n]);
    return { rows: Float32Array.from(rows), values };
  });
  const xw = weightTensor(kernels, x, dims, weights32);
  let normW = 0;
  for (let i = 0; i < x.length; i++) normW += x[i] * xw[i];
  return {
    dims,
    rank,
    weights,
    weights32,
    eigen,
    xw: cpTarget(xw, dims),
    normW,
    rowSolveRows,
  };
}

/** X x_n W_n for every weighted mode n (W symmetric). */
export function weightTensor(
  kernels: Kernels,
  x: Float32Array,
  dims: readonly number[],
  weights32: readonly (Float32Array | null)[],
): Float32Array {
  let out = x;
  weights32.forEach((w, n) => {
    if (!w) return;
    const d = dims[n];
    const pre = dims.slice(0, n).reduce((p, v) => p * v, 1);
    const post = dims.slice(n + 1).reduce((p, v) => p * v, 1);
    const next = new Float32Array(out.length);
    if (post === 1) {
      // The fastest mode: one product of the (pre x d) rows with W^T = W.
      kernels.sgemm(false, false, pre, d, d, 1, out, d, w, d, 0, next, d);
    } else {
      for (let p = 0; p < pre; p++) {
        const o = p * d * post;
        const src = out.subarray(o, o + d * post);
        const dst = next.subarray(o, o + d * post);
        kernels.sgemm(false, false, d, post, d, 1, w, d, src, post, 0, dst, post);
      }
    }
    out = next;
  });
  return out;
}

/** H^T W H (or H^T H), rank x rank. */
function weightedGram(
  kernels: Kernels,
  h: Float32Array,
  rows: number,
  rank: number,
  w: Float32Array | null,
): Float32Array {
  if (!w) return kernels.gram(h, rows, rank);
  const wh = new Float32Array(rows * rank);
  kernels.sgemm(false, false, rows, rank, rows, 1, w, rows, h, rank, 0, wh, rank);
  const g = new Float32Array(rank * rank);
  kernels.sgemm(true, false, rank, rank, rows, 1, h, rank, wh, rank, 0, g, rank);
  return g;
}

function gramExceptWeighted(
  kernels: Kernels,
  p: WeightedProblem,
  h: readonly Float32Array[],
  mode: number,
): Float64Array {
  const { rank, dims } = p;
  const g = new Float64Array(rank * rank).fill(1);
  for (let m = 0; m < dims.length; m++) {
    if (m === mode) continue;
    const gm = weightedGram(kernels, h[m], dims[m], rank, p.weights32[m]);
    for (let i = 0; i < g.length; i++) g[i] *= gm[i];
  }
  // Symmetrise: the two float32 products of a weighted Gram are not exactly symmetric.
  for (let i = 0; i < rank; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (g[i * rank + j] + g[j * rank + i]);
      g[i * rank + j] = v;
      g[j * rank + i] = v;
    }
  }
  return g;
}

/** Solves W H G + rho H = RHS for H (W = I when the mode is not weighted). */
type ModeSolver = (rhs: Float32Array, out: Float32Array) => void;

function modeSolver(
  kernels: Kernels,
  p: WeightedProblem,
  mode: number,
  g: Float64Array,
  rho: number,
  solves: AdmmParams['solves'],
): ModeSolver {
  const rows = p.dims[mode];
  const { rank } = p;
  const eig = p.eigen[mode];
  if (!eig) {
    const factor: ShiftedFactor = factorShifted(kernels, g, rank, rho, solves);
    return (rhs, out) => {
      solveShifted(kernels, factor, rank, rhs, rows, out);
    };
  }
  if (rows <= p.rowSolveRows) return rowSolver(kernels, eig, rows, rank, g, rho);
  // Sylvester: W = V^T diag(lambda) V, G = Q^T diag(gamma) Q (rows of V and Q are eigenvectors);
  // in those bases the equation is elementwise: Ht = (V RHS Q^T) / (lambda_i gamma_j + rho).
  const ge = dsyevQl(g, rank);
  const q = Float32Array.from(ge.rows);
  const denom = new Float32Array(rows * rank);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rank; j++) {
      denom[i * rank + j] = 1 / (eig.values[i] * Math.max(ge.values[j], 0) + rho);
    }
  }
  const t1 = new Float32Array(rows * rank);
  const t2 = new Float32Array(rows * rank);
  return (rhs, out) => {
    kernels.sgemm(false, false, rows, rank, rows, 1, eig.rows, rows, rhs, rank, 0, t1, rank);
    kernels.sgemm(false, true, rows, rank, rank, 1, t1, rank, q, rank, 0, t2, rank);
    for (let i = 0; i < t2.length; i++) t2[i] *= denom[i];
    kernels.sgemm(false, false, rows, rank, rank, 1, t2, rank, q, rank, 0, t1, rank);
    kernels.sgemm(true, false, rows, rank, rows, 1, eig.rows, rows, t1, rank, 0, out, rank);
  };
}

// rowSolver keeps its Cholesky factors for the ADMM's repeated solves up to this many bytes
// (94 MB for 9 rows at rank 1,141), else factors again at every solve (~3x its time there).
const ROW_FACTOR_BYTES = 128 * 2 ** 20;

/**
 * The Sylvester solve of modeSolver row by row: with W = V^T diag(lambda) V, row i of
 * (V H) solves (V H)_i (lambda_i G + rho I) = (V RHS)_i, a shifted SPD system of its own. For a
 * mode of few rows (a 3x3 conv's 9 kernel offsets) `rows` float64 Cholesky factorizations cost
 * far less than G's eigendecomposition in JavaScript (rank 1,141: ~60 ms each against ~6 s).
 */
function rowSolver(
  kernels: Kernels,
  eig: { rows: Float32Array; values: Float64Array },
  rows: number,
  rank: number,
  g: Float64Array,
  rho: number,
): ModeSolver {
  // lambda_i G + rho I = lambda_i (G + (rho / lambda_i) I); a null direction of W leaves rho I.
  const factor = (i: number) =>
    eig.values[i] > 0 ? choleskyShifted(kernels, g, rank, rho / eig.values[i]).l : null;
  const kept =
    rows * rank * rank * 8 <= ROW_FACTOR_BYTES
      ? Array.from({ length: rows }, (_, i) => factor(i))
      : null;
  const t = new Float32Array(rows * rank);
  const b = new Float64Array(rank);
  return (rhs, out) => {
    kernels.sgemm(false, false, rows, rank, rows, 1, eig.rows, rows, rhs, rank, 0, t, rank);
    for (let i = 0; i < rows; i++) {
      const row = t.subarray(i * rank, (i + 1) * rank);
      const l = kept ? kept[i] : factor(i);
      if (!l) {
        for (let j = 0; j < rank; j++) row[j] /= rho;
        continue;
      }
      b.set(row);
      kernels.potrs(l, rank, b, 1);
      const scale = 1 / eig.values[i];
      for (let j = 0; j < rank; j++) row[j] = b[j] * scale;
    }
    kernels.sgemm(true, false, rows, rank, rows, 1, eig.rows, rows, t, rank, 0, out, rank);
  };
}

/**
 * The float start admmWeightedCp runs: `sweeps` weighted ALS sweeps from `init` (not modified),
 * weighted modes of at most `rowSolveRows` rows solved by rowSolver (for tests and benchmarks).
 */
export function weightedAlsStart(
  kernels: Kernels,
  x: Float32Array,
  dims: readonly number[],
  init: readonly Float32Array[],
  rank: number,
  weights: ModeWeights,
  sweeps: number,
  rowSolveRows = 0,
): Float32Array[] {
  const problem = weightedProblem(kernels, x, dims, rank, weights, rowSolveRows);
  return alsStart(kernels, problem, init, sweeps);
}

function alsStart(
  kernels: Kernels,
  p: WeightedProblem,
  init: readonly Float32Array[],
  sweeps: number,
): Float32Array[] {
  const h = init.map((f) => Float32Array.from(f));
  for (let s = 0; s < sweeps; s++) weightedAlsSweep(kernels, p, h);
  return h;
}

/** One weighted float ALS sweep (unconstrained least squares per mode, tiny ridge). */
function weightedAlsSweep(kernels: Kernels, p: WeightedProblem, h: Float32Array[]): void {
  const cache = newMttkrpCache();
  for (let n = 0; n < p.dims.length; n++) {
    const g = gramExceptWeighted(kernels, p, h, n);
    const f = mttkrp(kernels, p.xw, h, p.rank, n, cache);
    const ridge = Math.max((trace(g, p.rank) / p.rank) * 1e-6, Number.MIN_VALUE);
    const out = new Float32Array(p.dims[n] * p.rank);
    modeSolver(kernels, p, n, g, ridge, 'float64')(f, out);
    h[n] = out;
  }
}

interface FactorStep {
  factor: GridFactor;
  innerSteps: number;
  f: Float32Array;
  g: Float64Array;
}

function factorStep(
  kernels: Kernels,
  p: WeightedProblem,
  h: readonly Float32Array[],
  u: Float32Array,
  mode: number,
  bits: number,
  params: AdmmParams,
  cache: MttkrpCache,
  columns: boolean,
): FactorStep {
  const { rank } = p;
  const rows = p.dims[mode];
  const g = gramExceptWeighted(kernels, p, h, mode);
  const f = mttkrp(kernels, p.xw, h, rank, mode, cache);
  const rho = Math.max(trace(g, rank) / rank, Number.MIN_VALUE);
  const solve = modeSolver(kernels, p, mode, g, rho, params.solves);
  const inner = admmInnerLoop(
    kernels,
    { rows, rank, rho, f, solve },
    h[mode],
    u,
    bits,
    params,
    columns,
  );
  return { ...inner, f, g };
}

// ||X - Xh||_W^2 = ||X||_W^2 - 2 <F, H> + <W H, H G> for the last mode's F, G and new H.
function errorFromLastMode(
  kernels: Kernels,
  p: WeightedProblem,
  h: readonly Float32Array[],
  f: Float32Array,
  g: Float64Array,
): number {
  const n = p.dims.length - 1;
  const { rank } = p;
  const rows = p.dims[n];
  const hn = h[n];
  const w = p.weights32[n];
  let wh = hn;
  if (w) {
    wh = new Float32Array(rows * rank);
    kernels.sgemm(false, false, rows, rank, rows, 1, w, rows, hn, rank, 0, wh, rank);
  }
  const hg = new Float32Array(rows * rank);
  kernels.sgemm(
    false,
    false,
    rows,
    rank,
    rank,
    1,
    hn,
    rank,
    Float32Array.from(g),
    rank,
    0,
    hg,
    rank,
  );
  let inner = 0;
  let model = 0;
  for (let i = 0; i < hn.length; i++) {
    inner += f[i] * hn[i];
    model += wh[i] * hg[i];
  }
  const sq = Math.max(p.normW - 2 * inner + model, 0);
  return p.normW > 0 ? Math.sqrt(sq / p.normW) : Math.sqrt(sq);
}

function polish(
  kernels: Kernels,
  p: WeightedProblem,
  factors: readonly GridFactor[],
  bits: number,
  params: AdmmParams,
): GridFactor[] {
  const out = factors.map(cloneGrid);
  const values = out.map((f) => f.values);
  for (let round = 0; round < params.polishRounds; round++) {
    let moved = 0;
    const cache = newMttkrpCache();
    for (let n = 0; n < out.length; n++) {
      const g = gramExceptWeighted(kernels, p, values, n);
      const f = mttkrp(kernels, p.xw, values, p.rank, n, cache);
      const w = p.weights[n];
      const [o, rows, rank] = [out[n], p.dims[n], p.rank];
      if (o.columnScales) {
        moved += w
          ? polishWeightedFactorColumns(kernels, o, w, g, f, rows, rank, bits)
          : polishFactorColumns(kernels, o, g, f, rows, rank, bits);
      } else {
        moved += w
          ? polishWeightedFactor(kernels, o, w, g, f, rows, rank, bits)
          : polishFactor(kernels, o, g, f, rows, rank, bits);
      }
    }
    if (moved === 0) break;
  }
  return out;
}

/** Plain and W-weighted relative errors of the reconstruction `xh`. */
function residualErrors(
  kernels: Kernels,
  p: WeightedProblem,
  x: Float32Array,
  xh: Float32Array,
): { plain: number; weighted: number } {
  const d = new Float32Array(x.length);
  let plainSq = 0;
  let normSq = 0;
  for (let i = 0; i < x.length; i++) {
    d[i] = x[i] - xh[i];
    plainSq += d[i] * d[i];
    normSq += x[i] * x[i];
  }
  const dw = weightTensor(kernels, d, p.dims, p.weights32);
  let weightedSq = 0;
  for (let i = 0; i < d.length; i++) weightedSq += d[i] * dw[i];
  return {
    plain: normSq > 0 ? Math.sqrt(plainSq / normSq) : Math.sqrt(plainSq),
    weighted: p.normW > 0 ? Math.sqrt(Math.max(weightedSq, 0) / p.normW) : 0,
  };
}

/** The W-weighted relative error of factors of X (for benchmarks and tests). */
export function weightedRelativeError(
  kernels: Kernels,
  x: Float32Array,
  dims: readonly number[],
  factors: readonly Float32Array[],
  rank: number,
  weights: ModeWeights,
): number {
  const p = weightedProblem(kernels, x, dims, rank, weights);
  return residualErrors(kernels, p, x, cpReconstruct(kernels, dims, factors, rank)).weighted;
}
