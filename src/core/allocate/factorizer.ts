// One factorization per (weight, method, resolved rank, bits, preset, seed), shared by the
// sensitivity pass and every model built from an allocation afterwards (the benchmark builds a
// dozen models from the same few hundred layer factorizations).
import { jobObjective } from '../factor/inputMoments.ts';
import { methodSpec } from '../factor/methods/index.ts';
import { type CompressJob, DEFAULT_QAF_SCALES, type LayerResult } from '../factor/types.ts';
import type { Factorizer } from '../pipeline/compressModel.ts';
import type { LayerFactorCache, LayerJobKey, LayerWeight } from '../sweep/layerCache.ts';
import { groupCpDims, resolveRank } from '../util/rank.ts';

/**
 * The cache key of a job: a rate is resolved to its rank, so "rate 2" and the rank it gives
 * share one factorization, and settings a method ignores (a PTQ job's rate) drop out.
 */
export function jobKey(
  job: Pick<
    CompressJob,
    | 'method'
    | 'rank'
    | 'rate'
    | 'bits'
    | 'preset'
    | 'seed'
    | 'perChannel'
    | 'shape'
    | 'groups'
    | 'objective'
    | 'inputMoments'
    | 'scales'
  >,
): Omit<LayerJobKey, 'weightHash' | 'momentsHash'> {
  const spec = methodSpec(job.method);
  return {
    method: job.method,
    rank: spec.factorizes
      ? resolveRank(groupCpDims(job.shape, job.groups), job.rank, job.rate)
      : null,
    rate: null,
    bits: job.bits,
    preset: job.preset ?? 'default',
    seed: job.seed ?? 0,
    perChannel: !spec.factorizes && (job.perChannel ?? false),
    // Only data-aware QAF adds a member, so published keys are the ones made before it existed.
    // (A QAF job without an objective is data-aware when it carries statistics: jobObjective.)
    ...(jobObjective(job) === 'data' && { objective: 'data' as const }),
    // QAF's grid scales, resolved: a job asking for per-factor scales must not be served the
    // default's per-component factors (the cache would name the default otherwise).
    ...(job.method === 'admm' && { scales: job.scales ?? DEFAULT_QAF_SCALES }),
  };
}

/** Factorizes through `cache`, one layer after another; a cancel stops between layers. */
export function cachedFactorizer(cache: LayerFactorCache): Factorizer {
  return async (jobs, hooks) => {
    const results: LayerResult[] = [];
    for (const job of jobs) {
      hooks.signal?.throwIfAborted();
      const layer: LayerWeight = { name: job.name, weight: job.weight, shape: job.shape };
      // The cache's result may carry another layer's name when two layers share a weight.
      const result = await cache.compress(layer, jobKey(job), job.inputMoments);
      results.push({ ...result, name: job.name });
    }
    hooks.signal?.throwIfAborted();
    return results;
  };
}

/**
 * Factorizes all jobs at once through `cache`: a job the cache has already solved (a sensitivity
 * pass's option) is served, the others start together on the cache's runner (the CLI's thread
 * pool). Results are in job order.
 */
export function sharedFactorizer(
  cache: LayerFactorCache,
  onResult?: (result: LayerResult, done: number, count: number) => void,
): Factorizer {
  return async (jobs, hooks) => {
    hooks.signal?.throwIfAborted();
    let done = 0;
    const results = await Promise.all(
      jobs.map(async (job) => {
        const layer: LayerWeight = { name: job.name, weight: job.weight, shape: job.shape };
        const result = { ...(await cache.compress(layer, jobKey(job), job.inputMoments)) };
        result.name = job.name;
        onResult?.(result, ++done, jobs.length);
        return result;
      }),
    );
    hooks.signal?.throwIfAborted();
    return results;
  };
}
