// Float CP: the factorization alone, no grid (method doc, "Baselines"). Also the start of FTQ
// and of QAF, so `floatCp` lives here and they import it.
import type { Kernels } from '../../kernels/types.ts';
import { cpDims, resolveRank } from '../../util/rank.ts';
import { ADMM_PRESETS } from '../admm.ts';
import { type CpAlsOptions, type CpDecomposition, cpAls, floatCpSchedule } from '../cpAls.ts';
import { cpRelativeError, cpTarget } from '../cpTensor.ts';
import { truncatedSvd } from '../svd.ts';
import type { CompressJob } from '../types.ts';
import { type MethodSpec, resultHeader } from './types.ts';

/**
 * CP-ALS iterations of the float CP behind 'cp' and 'ftq' (tensorly's default n_iter_max);
 * ADMM takes its own from its preset.
 */
export const FLOAT_CP_MAX_ITERATIONS = 100;

/** The float factorization at `rank`: truncated SVD for 2-way weights, CP-ALS for 3-way. */
export function floatCp(
  kernels: Kernels,
  job: Pick<CompressJob, 'weight' | 'seed'>,
  dims: readonly number[],
  rank: number,
  options: Pick<
    CpAlsOptions,
    'maxIterations' | 'onIteration' | 'shouldStop' | 'init' | 'extrapolate'
  > = {},
): CpDecomposition {
  if (dims.length === 2) {
    const { a, b } = truncatedSvd(job.weight, dims[0], dims[1], rank, {
      kernels,
      seed: job.seed ?? 0,
    });
    const error = cpRelativeError(kernels, cpTarget(job.weight, dims), [a, b], rank);
    return { factors: [a, b], rank, error, iterations: 1, errorHistory: [error] };
  }
  return cpAls(kernels, job.weight, dims, rank, {
    maxIterations: FLOAT_CP_MAX_ITERATIONS,
    ...options,
    seed: job.seed ?? 0,
  });
}

/**
 * The CP view and rank of a job, and its float CP run with progress over [0, share]. A QAF job
 * ('admm') on a wide layer runs its preset's extrapolated schedule instead of `maxIterations`
 * plain sweeps (admm.ts wideFromRank).
 */
export function floatCpOfJob(
  kernels: Kernels,
  job: CompressJob,
  ctx: {
    report: (s: 'init', step: number, e: number, p: number) => void;
    shouldStop?: () => boolean;
  },
  maxIterations: number,
  share: number,
  init?: CpAlsOptions['init'],
) {
  const dims = cpDims(job.shape);
  const rank = resolveRank(dims, job.rank, job.rate);
  const preset = ADMM_PRESETS[job.preset ?? 'default'];
  const schedule =
    job.method === 'admm'
      ? floatCpSchedule(rank, maxIterations, {
          fromRank: preset.wideFromRank,
          wideSweeps: preset.wideCpIterations,
        })
      : { maxIterations, extrapolate: false };
  ctx.report('init', 0, Number.NaN, 0);
  const float = floatCp(kernels, job, dims, rank, {
    ...schedule,
    onIteration: (it, e) => ctx.report('init', it, e, (share * it) / schedule.maxIterations),
    shouldStop: ctx.shouldStop,
    init,
  });
  return { dims, rank, float };
}

export const floatCpMethod: MethodSpec<'cp'> = {
  id: 'cp',
  label: 'Float CP',
  shortLabel: 'Float CP',
  summary: 'float CP factors, no quantization (the factorization alone)',
  color: '#7c3aed',
  factorizes: true,
  quantizes: false,
  bits: null,
  estimateSeconds: 4,
  appliesTo: (layer) => layer.factorizable,
  compress(kernels, job, ctx) {
    const { dims, rank, float } = floatCpOfJob(kernels, job, ctx, FLOAT_CP_MAX_ITERATIONS, 1);
    const factors = float.factors.map((values, n) => ({ rows: dims[n], cols: rank, values }));
    const { error, iterations, errorHistory } = float;
    return {
      ...resultHeader(job, rank),
      floatCpError: float.error,
      factors,
      error,
      iterations,
      errorHistory,
    };
  },
};
