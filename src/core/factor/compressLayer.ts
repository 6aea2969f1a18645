// The engine's one entry point: a weight in, a compressed layer out, for every method. Pure
// (kernels passed in), so the worker, the CLI and the tests all run exactly this.

import type { Kernels } from '../kernels/types.ts';
import { ADMM_PRESETS, admmQuantizedCp } from './admm.ts';
import { ftqFactors, ptqWeight } from './baselines.ts';
import { type CpAlsOptions, type CpDecomposition, cpAls } from './cpAls.ts';
import { cpRelativeError, cpTarget, relativeErrorOf } from './cpTensor.ts';
import { cpDims, resolveRank } from './rank.ts';
import { truncatedSvd } from './svd.ts';
import type { CompressJob, FactorResult, GridFactor, LayerProgress, LayerResult } from './types.ts';

export interface CompressHooks {
  onProgress?: (progress: LayerProgress) => void;
  /** Polled between iterations; a true answer ends the layer early with what it has. */
  shouldStop?: () => boolean;
}

/**
 * CP-ALS iterations of the float CP behind 'cp' and 'ftq' (tensorly's default n_iter_max);
 * ADMM takes its own from its preset.
 */
export const FLOAT_CP_MAX_ITERATIONS = 100;
// Share of the progress bar given to the float CP when ADMM follows it.
const INIT_SHARE = 0.3;

export function compressLayer(
  kernels: Kernels,
  job: CompressJob,
  hooks: CompressHooks = {},
): LayerResult {
  const started = performance.now();
  validateJob(job);
  const report = progressReporter(job.name, hooks.onProgress);
  const result =
    job.method === 'ptq' ? compressPtq(kernels, job) : compressCp(kernels, job, hooks, report);
  report('done', result.iterations, result.error, 1);
  return { ...result, ms: performance.now() - started };
}

function validateJob(job: CompressJob): void {
  const size = job.shape.reduce((p, d) => p * d, 1);
  if (job.weight.length !== size) {
    throw new RangeError(
      `${job.name}: weight has ${job.weight.length} values, shape [${job.shape.join(', ')}] needs ${size}`,
    );
  }
  if (!Number.isInteger(job.bits) || job.bits < 2 || job.bits > 8) {
    throw new RangeError(`${job.name}: bits must be an integer in 2..8, got ${job.bits}`);
  }
}

type Report = (
  status: LayerProgress['status'],
  step: number,
  error: number,
  progress: number,
) => void;

// Progress is clamped to be monotonic: ADMM may stop before its step budget.
function progressReporter(layer: string, sink?: (p: LayerProgress) => void): Report {
  let last = 0;
  return (status, outerStep, error, progress) => {
    last = Math.max(last, Math.min(1, progress));
    sink?.({ layer, status, outerStep, error, progress: last });
  };
}

function compressPtq(kernels: Kernels, job: CompressJob): Omit<LayerResult, 'ms'> {
  const q = ptqWeight(kernels, job.weight, job.shape, job.bits, job.perChannel);
  const rows = job.shape[0];
  const factor: FactorResult = {
    rows,
    cols: job.weight.length / rows,
    codes: q.codes,
    values: q.values,
  };
  if (job.perChannel) factor.scales = q.scales;
  else factor.scale = q.scales[0];
  const error = relativeErrorOf(job.weight, q.values);
  return {
    ...header(job, 0),
    factors: [factor],
    floatCpError: Number.NaN,
    error,
    iterations: 1,
    errorHistory: [error],
  };
}

function compressCp(
  kernels: Kernels,
  job: CompressJob,
  hooks: CompressHooks,
  report: Report,
): Omit<LayerResult, 'ms'> {
  const dims = cpDims(job.shape);
  const rank = resolveRank(dims, job.rank, job.rate);
  const admm = job.method === 'admm';
  const initShare = admm ? INIT_SHARE : 1;
  const cpIterations = admm
    ? ADMM_PRESETS[job.preset ?? 'default'].cpIterations
    : FLOAT_CP_MAX_ITERATIONS;
  report('init', 0, Number.NaN, 0);
  const float = floatCp(kernels, job, dims, rank, {
    maxIterations: cpIterations,
    onIteration: (it, e) => report('init', it, e, (initShare * it) / cpIterations),
    shouldStop: hooks.shouldStop,
  });
  const base = { ...header(job, rank), floatCpError: float.error };
  if (job.method === 'cp') {
    const factors = float.factors.map((values, n) => ({ rows: dims[n], cols: rank, values }));
    const { error, iterations, errorHistory } = float;
    return { ...base, factors, error, iterations, errorHistory };
  }
  if (job.method === 'ftq') {
    const grid = ftqFactors(kernels, float.factors, job.bits);
    const values = grid.map((g) => g.values);
    const error = cpRelativeError(kernels, cpTarget(job.weight, dims), values, rank);
    const factors = gridResults(grid, dims, rank);
    return { ...base, factors, error, iterations: float.iterations, errorHistory: [error] };
  }
  const q = quantizedCp(kernels, job, dims, float.factors, rank, hooks, (t, e, fraction) =>
    report('running', t, e, initShare + (1 - initShare) * fraction),
  );
  const { error, iterations, errorHistory } = q;
  return { ...base, factors: gridResults(q.factors, dims, rank), error, iterations, errorHistory };
}

function quantizedCp(
  kernels: Kernels,
  job: CompressJob,
  dims: readonly number[],
  init: Float32Array[],
  rank: number,
  hooks: CompressHooks,
  onStep: (step: number, error: number, fraction: number) => void,
) {
  const preset = job.preset ?? 'default';
  const maxOuter = ADMM_PRESETS[preset].maxOuter;
  return admmQuantizedCp(kernels, job.weight, dims, init, rank, job.bits, {
    preset,
    onOuterStep: (t, e) => onStep(t, e, t / maxOuter),
    shouldStop: hooks.shouldStop,
  });
}

function header(job: CompressJob, rank: number) {
  return { name: job.name, method: job.method, rank, bits: job.bits, shape: [...job.shape] };
}

/** The float factorization at `rank`: truncated SVD for 2-way weights, CP-ALS for 3-way. */
export function floatCp(
  kernels: Kernels,
  job: Pick<CompressJob, 'weight' | 'seed'>,
  dims: readonly number[],
  rank: number,
  options: Pick<CpAlsOptions, 'maxIterations' | 'onIteration' | 'shouldStop'> = {},
): CpDecomposition {
  if (dims.length === 2) {
    const { a, b } = truncatedSvd(job.weight, dims[0], dims[1], rank);
    const error = cpRelativeError(kernels, cpTarget(job.weight, dims), [a, b], rank);
    return { factors: [a, b], rank, error, iterations: 1, errorHistory: [error] };
  }
  return cpAls(kernels, job.weight, dims, rank, {
    maxIterations: FLOAT_CP_MAX_ITERATIONS,
    ...options,
    seed: job.seed ?? 0,
  });
}

function gridResults(
  grid: readonly GridFactor[],
  dims: readonly number[],
  rank: number,
): FactorResult[] {
  return grid.map((g, n) => ({
    rows: dims[n],
    cols: rank,
    codes: g.codes,
    scale: g.scale,
    values: g.values,
  }));
}

/**
 * The weight the compressed layer really computes, in the original layout (Cout x Cin x kh x kw,
 * or I x J): sum_r A[i,r] B[j,r] C[k,r], or the quantized weight itself for PTQ.
 */
export function reconstruct(result: LayerResult): Float32Array {
  if (result.method === 'ptq') return Float32Array.from(result.factors[0].values);
  const rank = result.rank;
  const [a, b, c] = result.factors;
  const kDim = c ? c.rows : 1;
  const inner = new Float64Array(b.rows * kDim * rank); // B[j,r] C[k,r] at (j*K + k)
  for (let j = 0; j < b.rows; j++) {
    for (let k = 0; k < kDim; k++) {
      const o = (j * kDim + k) * rank;
      for (let r = 0; r < rank; r++)
        inner[o + r] = b.values[j * rank + r] * (c ? c.values[k * rank + r] : 1);
    }
  }
  const cols = b.rows * kDim;
  const out = new Float32Array(a.rows * cols);
  for (let i = 0; i < a.rows; i++) {
    for (let col = 0; col < cols; col++) {
      let s = 0;
      for (let r = 0; r < rank; r++) s += a.values[i * rank + r] * inner[col * rank + r];
      out[i * cols + col] = s;
    }
  }
  return out;
}
