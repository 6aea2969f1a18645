// QAF: CP with every factor on a b-bit grid, by AO-ADMM with the least-squares projection
// replaced by quantization (method doc; Huang, Sidiropoulos & Liavas 2016 for AO-ADMM).

import type { Kernels } from '../kernels/types.ts';
import {
  balanceColumns,
  type CpTarget,
  cpRelativeError,
  cpTarget,
  type GramCache,
  gramExcept,
  lastModeError,
  type MttkrpCache,
  mttkrp,
  newGramCache,
  newMttkrpCache,
} from './cpTensor.ts';
import { trace } from './linalg.ts';
import { polishGridFactors } from './polish.ts';
import { factorShifted, type ShiftedFactor, type SolvePrecision, solveShifted } from './solve.ts';
import type { AdmmPresetName, GridFactor, QafScales } from './types.ts';

export interface AdmmParams {
  /** Inner stop: primal and dual residuals both below eps. */
  eps: number;
  maxInner: number;
  /** Outer stop: |e_t - e_(t-1)| < tol. */
  tol: number;
  maxOuter: number;
  /** Outer stop when e_t - e_(t - risingWindow) > risingThreshold. */
  risingWindow: number;
  risingThreshold: number;
  /** Equalise column norms across factors before the first projection. */
  balance: boolean;
  /** Return the best grid factors seen instead of the last. */
  keepBest: boolean;
  /** Outer stop after this many steps without a relative improvement of `tol` (0: off). */
  patience: number;
  /** Coordinate-descent rounds on the codes after ADMM (0: off); see polish.ts. */
  polishRounds: number;
  /** Candidate clipping ranges of the grid search. */
  candidates: number;
  /** CP-ALS iterations of the float initialisation (compressLayer's, not this function's). */
  cpIterations: number;
  /**
   * From this rank on (0: never) the float initialisation runs `wideCpIterations` extrapolated
   * CP-ALS sweeps instead (cpAls.ts floatCpSchedule).
   */
  wideFromRank: number;
  wideCpIterations: number;
  /**
   * A wide layer (rank >= wideFromRank) with per-component scales runs at most this many outer
   * steps, then `wideComponentPolish` polish rounds (0: the usual maxOuter and polishRounds).
   */
  wideComponentOuter: number;
  wideComponentPolish: number;
  /**
   * The grid projection's candidate clipping ranges on such a layer (0: `candidates`): the
   * polish re-solves every column's scale in closed form, so a coarser search costs nothing.
   */
  wideComponentCandidates: number;
  /**
   * The data-aware solver's polish rounds on such a layer (weightedAdmm.ts; 0:
   * `wideComponentPolish`). It takes the same outer-step cap and candidates.
   */
  wideWeightedPolish: number;
  /**
   * Data-aware solver, wide layer (rank >= wideFromRank): a weighted mode with at most this many
   * rows solves its Sylvester equation row by row (one shifted Cholesky per row in W's
   * eigenbasis) instead of eigendecomposing the rank x rank Gram (0: never).
   */
  wideWeightedRowSolves: number;
  /** Its weighted ALS start sweeps on such a layer (0: weightedAdmm.ts's default 5). */
  wideWeightedStartSweeps: number;
  /**
   * 'auto' (default): blocked float32 Cholesky solves where the system is large; 'float64':
   * the kernels' float64 potrf/potrs and an explicit inverse (the old route, a benchmark peer).
   */
  solves?: SolvePrecision;
}

export const ADMM_PRESETS: Readonly<Record<AdmmPresetName, Readonly<AdmmParams>>> = {
  // The published code's stopping rules and limits.
  published: {
    eps: 1e-8,
    maxInner: 1000,
    tol: 1e-5,
    maxOuter: 1000,
    risingWindow: 4,
    risingThreshold: 1e-3,
    balance: false,
    keepBest: false,
    patience: 0,
    polishRounds: 0,
    candidates: 200,
    cpIterations: 100,
    wideFromRank: 0,
    wideCpIterations: 100,
    wideComponentOuter: 0,
    wideComponentPolish: 0,
    wideComponentCandidates: 0,
    wideWeightedPolish: 0,
    wideWeightedRowSolves: 0,
    wideWeightedStartSweeps: 0,
  },
  default: {
    eps: 1e-4,
    // Three, not five (issue #14): the final error is the same or lower (ResNet-20's 18 convs
    // 0.3446 vs 0.3448 mean; a 512-channel 3x3 conv 0.3462 vs 0.3472), and each step is an
    // R x R solve for every row of the factor: 40 % of ADMM's time at rank ~1,100.
    maxInner: 3,
    // 1.5e-3 and five polish rounds, not 1e-3 and four (issue #14): polish rounds buy more
    // than the last outer steps for their time (512 channels: 6 outer steps, not 8, 1.2 s less,
    // 0.3457 vs 0.3456; 256: 0.3463 vs 0.3468; ResNet-20: 0.3443 vs 0.3447 mean).
    tol: 1.5e-3,
    maxOuter: 60,
    risingWindow: 4,
    risingThreshold: 1e-3,
    balance: true,
    keepBest: true,
    patience: 6,
    polishRounds: 5,
    candidates: 200,
    // Measured on ResNet-20: a longer float CP does not lower the final error (it drifts
    // towards cancelling, badly scaled terms that quantize worse), so stop early. From the
    // slice-SVD start 20 sweeps end at or below what 25 did from the old HOSVD start (issue #14,
    // npm run bench:wide), and a sweep costs ~0.6 s at C = 512.
    cpIterations: 20,
    // At rank >= 512 (C >= 256 at rate 2) a sweep costs 0.15-0.7 s and 12 extrapolated sweeps
    // reach the final error of 20 plain ones (issue #14; cpAls.ts floatCpSchedule).
    wideFromRank: 512,
    wideCpIterations: 12,
    // With per-component scales an outer step costs ~2x a polish round at C = 512 (the
    // projection searches every column's scale) and a polish round gains more: 3 outer steps
    // and 6 rounds ended at 0.3428 vs 0.3429 for 4 and 5, ~20 % less ADMM time (issue #14).
    // Then the float start improved (cpAls.ts EXTRAPOLATION_ROOT), and a float sweep lowers the
    // final error ~3x more per second than an outer step or a polish round: at C = 512 the
    // start's 12 sweeps with 2 steps and 4 rounds end at 0.3419, against 0.3402 with 3 and 6
    // (~2.3 s more) and 0.3429 for the old start with 3 and 6.
    wideComponentOuter: 2,
    wideComponentPolish: 4,
    // The per-column scale search was ~20 % of ADMM's time at C = 512 (200 candidates per
    // column, 1,141 columns, 3 projections per factor and step); the polish then re-solves
    // every scale exactly, and 50 candidates end at the same error (issue #14).
    wideComponentCandidates: 50,
    // The data-aware path's outer step costs ~9 of its polish rounds at C = 512 (each step
    // eigendecomposes two rank x rank Grams in JavaScript: 11 s vs 1.2 s), so it polishes longer
    // than the published path. npm run bench:wide-data (synthetic 3x3 convs and input
    // statistics, rate 2, 4 bits, load ~2), against the uncapped preset (60 outer steps, 5 rounds,
    // 200 candidates; it stopped after 5 and 4 steps): weighted error +0.13 % at C = 256 (12.4 vs
    // 18.7 s) and +0.19 % at 512 (94.0 vs 114.5 s); the published path's 4 rounds +0.84 % and
    // +1.03 % (12.0 and 94.5 s). Most of the rest comes before the first outer step: the
    // weighted problem and its 5 ALS start sweeps, 57 s at 512 (weightedAdmm.ts startSweeps).
    wideWeightedPolish: 8,
    // Those were ~90 % eigendecompositions of 1,141 x 1,141 Grams (dsyevQl, JavaScript, ~6 s
    // each), two per ALS sweep and per outer step; the 9-row kernel-offset mode now solves row
    // by row (9 float64 Choleskys, ~0.6 s; weightedAdmm.ts rowSolver), the same equations.
    // bench:wide-data --peer capped, against that start in the same run (load 2.8 -> 2.1):
    // C = 512 59.6 vs 91.2 s (start 30.0 vs 53.3 s, 6.5 vs 10.6 s per outer step), weighted
    // error 0.2034 vs 0.2036; C = 256 9.5 vs 16.2 s, 0.2243 vs 0.2244. The 512-row mode still
    // takes its eigendecomposition (512 Choleskys would cost more).
    wideWeightedRowSolves: 16,
    // Fewer start sweeps (now ~7 s each at 512) cost far more than 0.2 %: with row solves,
    // 3, 2, 1 sweeps end at +1.7, +3.3, +6.0 % at C = 512 (+2.0, +3.8, +6.8 % at 256; an
    // earlier run, load 2.0-2.3). More buy error: 7 sweeps -0.98 % at 512 for 17 s (76.8 s),
    // -1.23 % at 256 for 1.9 s; left at 5 here.
    wideWeightedStartSweeps: 0,
  },
};

export interface AdmmOptions {
  preset?: AdmmPresetName;
  /** Overrides of the preset's parameters. */
  params?: Partial<AdmmParams>;
  onOuterStep?: (step: number, error: number) => void;
  /** Checked between outer steps. */
  shouldStop?: () => boolean;
  /** 'factor' (default): one grid scale per factor; 'component': one per column of each. */
  scales?: QafScales;
}

export interface QuantizedCp {
  factors: GridFactor[];
  rank: number;
  bits: number;
  error: number;
  /** Outer steps run. */
  iterations: number;
  innerSteps: number;
  errorHistory: number[];
}

/** AO-ADMM from float factors `init` (one dims[n] x rank matrix per mode; not modified). */
export function admmQuantizedCp(
  kernels: Kernels,
  x: Float32Array,
  dims: readonly number[],
  init: readonly Float32Array[],
  rank: number,
  bits: number,
  options: AdmmOptions = {},
): QuantizedCp {
  const columns = options.scales === 'component';
  const params = wideComponentParams(
    { ...ADMM_PRESETS[options.preset ?? 'default'], ...options.params },
    rank,
    columns,
  );
  const target = cpTarget(x, dims);
  const h: Float32Array[] = init.map((f) => Float32Array.from(f));
  if (params.balance) balanceColumns(dims, h, rank);
  // Scaled duals, warm-started across outer steps (they carry the rounding history).
  const duals = dims.map((d) => new Float32Array(d * rank));
  const grid: GridFactor[] = [];
  const errorHistory: number[] = [];
  let best: { factors: GridFactor[]; error: number } | null = null;
  let innerSteps = 0;
  let sinceImproved = 0;
  const grams = newGramCache();
  for (let t = 0; t < params.maxOuter; t++) {
    const step = outerStep(kernels, target, h, duals, rank, bits, params, grams, columns);
    step.factors.forEach((f, n) => {
      grid[n] = f;
      h[n] = f.values;
    });
    innerSteps += step.innerSteps;
    const error = step.error;
    errorHistory.push(error);
    options.onOuterStep?.(t + 1, error);
    if (best === null || error < best.error * (1 - params.tol)) sinceImproved = 0;
    else sinceImproved++;
    if (best === null || error < best.error) best = { factors: grid.map(cloneGrid), error };
    if (outerConverged(errorHistory, params, sinceImproved) || options.shouldStop?.()) break;
  }
  let factors = params.keepBest && best ? best.factors : grid;
  if (params.polishRounds > 0) {
    factors = polishGridFactors(kernels, target, factors, rank, bits, params.polishRounds);
  }
  // The history holds cheap estimates; the reported error is computed exactly.
  const values = factors.map((f) => f.values);
  const error = cpRelativeError(kernels, target, values, rank);
  return { factors, rank, bits, error, iterations: errorHistory.length, innerSteps, errorHistory };
}

/**
 * The parameters with a wide per-component layer's outer-step cap, polish rounds and projection
 * candidates applied.
 */
export function wideComponentParams(p: AdmmParams, rank: number, columns: boolean): AdmmParams {
  const wide = p.wideFromRank > 0 && rank >= p.wideFromRank && p.wideComponentOuter > 0;
  if (!columns || !wide) return p;
  return {
    ...p,
    maxOuter: Math.min(p.maxOuter, p.wideComponentOuter),
    polishRounds: p.wideComponentPolish,
    candidates: p.wideComponentCandidates > 0 ? p.wideComponentCandidates : p.candidates,
  };
}

/** One sweep over the factors (each a small ADMM); the error estimate comes from the last mode. */
function outerStep(
  kernels: Kernels,
  target: CpTarget,
  h: Float32Array[],
  duals: Float32Array[],
  rank: number,
  bits: number,
  params: AdmmParams,
  grams: GramCache,
  columns: boolean,
): { factors: GridFactor[]; error: number; innerSteps: number } {
  const cache = newMttkrpCache();
  const factors: GridFactor[] = [];
  let step: FactorStep | null = null;
  let innerSteps = 0;
  for (let n = 0; n < target.dims.length; n++) {
    step = admmFactorStep(
      kernels,
      target,
      h,
      duals[n],
      rank,
      n,
      bits,
      params,
      cache,
      grams,
      columns,
    );
    factors.push(step.factor);
    h[n] = step.factor.values; // the next modes see the grid values
    innerSteps += step.innerSteps;
  }
  const error = lastModeError(kernels, target, step!.f, step!.g, h[h.length - 1], rank, grams);
  return { factors, error, innerSteps };
}

export function outerConverged(history: number[], p: AdmmParams, sinceImproved: number): boolean {
  const t = history.length - 1;
  if (t < 1) return false;
  if (Math.abs(history[t] - history[t - 1]) < p.tol) return true;
  if (t >= p.risingWindow && history[t] - history[t - p.risingWindow] > p.risingThreshold)
    return true;
  return p.patience > 0 && sinceImproved >= p.patience;
}

interface FactorStep {
  factor: GridFactor;
  innerSteps: number;
  /** The MTTKRP and Gram product of this mode, reused for the error estimate. */
  f: Float32Array;
  g: Float64Array;
}

/** One factor's ADMM: G, F and the system matrix once, then inner steps updating the dual `u` in place. */
function admmFactorStep(
  kernels: Kernels,
  target: CpTarget,
  h: readonly Float32Array[],
  u: Float32Array,
  rank: number,
  mode: number,
  bits: number,
  p: AdmmParams,
  cache: MttkrpCache,
  grams: GramCache,
  columns: boolean,
): FactorStep {
  const g = gramExcept(kernels, target.dims, h, rank, mode, grams);
  const f = mttkrp(kernels, target, h, rank, mode, cache);
  const system = shiftedSystem(kernels, g, f, target.dims[mode], rank, p.solves);
  const inner = innerSteps(kernels, system, h[mode], u, bits, p, columns);
  return { ...inner, f, g };
}

interface ShiftedSystem {
  rows: number;
  rank: number;
  rho: number;
  /** A factorization of G + rho I, reused by every inner step. */
  factor: ShiftedFactor;
  f: Float32Array;
}

// rho = trace(G) / R (AO-ADMM's choice). G + rho I is factorized once per factor update and
// every inner step solves with it: at large ranks a blocked float32 Cholesky over sgemm (rho
// keeps the condition number below R + 1), which costs about one product per solve.
function shiftedSystem(
  kernels: Kernels,
  g: Float64Array,
  f: Float32Array,
  rows: number,
  rank: number,
  solves: SolvePrecision = 'auto',
): ShiftedSystem {
  const rho = trace(g, rank) / rank;
  return { rows, rank, rho, factor: factorShifted(kernels, g, rank, rho, solves), f };
}

/** The inner ADMM loop from the factor's current values `h0`; stops on both residuals < eps. */
function innerSteps(
  kernels: Kernels,
  sys: ShiftedSystem,
  h0: Float32Array,
  u: Float32Array,
  bits: number,
  p: AdmmParams,
  columns: boolean,
): { factor: GridFactor; innerSteps: number } {
  const { rows, rank, rho, f } = sys;
  // Ht = (F + rho (H + U)) (G + rho I)^-1
  const solve = (rhs: Float32Array, out: Float32Array) =>
    solveShifted(kernels, sys.factor, rank, rhs, rows, out);
  return admmInnerLoop(kernels, { rows, rank, rho, f, solve }, h0, u, bits, p, columns);
}

/** One factor's ADMM subproblem: Ht = solve(F + rho (H + U)) is its least-squares step. */
export interface InnerProblem {
  rows: number;
  rank: number;
  rho: number;
  f: Float32Array;
  solve(rhs: Float32Array, out: Float32Array): void;
}

/**
 * The inner ADMM loop of one factor, shared by the published and the data-aware solvers (they
 * differ only in `solve`): least-squares step, projection onto the grid, dual update; stops when
 * both relative residuals are under eps, or after maxInner steps.
 */
export function admmInnerLoop(
  kernels: Kernels,
  sys: InnerProblem,
  h0: Float32Array,
  u: Float32Array,
  bits: number,
  p: AdmmParams,
  columns: boolean,
): { factor: GridFactor; innerSteps: number } {
  const { rows, rank, rho, f } = sys;
  let current = h0;
  let factor: GridFactor | null = null;
  const rhs = new Float32Array(rows * rank);
  const ht = new Float32Array(rows * rank);
  let steps = 0;
  while (steps < p.maxInner) {
    steps++;
    for (let i = 0; i < rhs.length; i++) rhs[i] = f[i] + rho * (current[i] + u[i]);
    sys.solve(rhs, ht);
    for (let i = 0; i < rhs.length; i++) rhs[i] = ht[i] - u[i];
    const previous = current;
    factor = projectFactor(kernels, rhs, rows, rank, bits, p.candidates, columns);
    current = factor.values;
    let primal = 0;
    let change = 0;
    let currentSq = 0;
    let dualSq = 0;
    for (let i = 0; i < u.length; i++) {
      const c = current[i];
      const d = c - ht[i];
      u[i] += d;
      primal += d * d;
      change += (c - previous[i]) ** 2;
      currentSq += c * c;
      dualSq += u[i] * u[i];
    }
    const r = primal / Math.max(currentSq, Number.MIN_VALUE);
    const s = change / Math.max(dualSq, Number.MIN_VALUE);
    if (r < p.eps && s < p.eps) break;
  }
  return { factor: factor!, innerSteps: steps };
}

export function cloneGrid(f: GridFactor): GridFactor {
  const out = {
    codes: Int8Array.from(f.codes),
    scale: f.scale,
    values: Float32Array.from(f.values),
  };
  return f.columnScales ? { ...out, columnScales: Float32Array.from(f.columnScales) } : out;
}

/**
 * The projection of a rows x rank factor onto the grid: one MSE-searched scale for the whole
 * factor, or (`columns`) one per column, i.e. per rank-1 component: the kernel's per-row search
 * on the transposed factor, transposed back.
 */
export function projectFactor(
  kernels: Kernels,
  x: Float32Array,
  rows: number,
  rank: number,
  bits: number,
  candidates: number,
  columns: boolean,
): GridFactor {
  if (!columns) {
    const p = kernels.projectToGrid(x, bits, { candidates });
    return { codes: p.codes, scale: p.scales[0], values: p.values };
  }
  const p = kernels.projectToGrid(transposed(x, rows, rank), bits, { channels: rank, candidates });
  return {
    codes: transposed(p.codes, rank, rows),
    scale: Number.NaN,
    values: transposed(p.values, rank, rows),
    columnScales: p.scales,
  };
}

/** rows x cols row-major -> cols x rows row-major. */
function transposed<T extends Float32Array | Int8Array>(a: T, rows: number, cols: number): T {
  const out = new (a.constructor as { new (n: number): T })(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}
