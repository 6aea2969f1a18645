// How long a layer job should take, from the method registry's time estimate: for ordering a
// pool's queue (largest first, so the longest layer does not start last) and for saying when one
// layer dominates a run, which more threads cannot shorten (layers below the in-layer threshold
// are not split across threads; cli/threadPool.ts and app/bridge/compressPool.ts split the rest).
import { groupCpDims, resolveRank } from '../util/rank.ts';
import { methodSpec } from './methods/index.ts';
import type { CompressJob } from './types.ts';

// The registry's estimates are for a ResNet-20's 18 block convs (16..64 channels); its average
// layer is about a 32-channel 3x3 conv at rate 2 (rank 115).
const REFERENCE_LAYERS = 18;
const REFERENCE_SIZE = 32 * 32 * 9;
const REFERENCE_WORK = REFERENCE_SIZE * 115 + (32 + 32 + 9) * 115 * 115;

/**
 * A job's estimated seconds on one core: the registry's per-layer estimate scaled by the work
 * of an ALS/ADMM sweep, I J K R (MTTKRP) plus (I + J + K) R^2 (the solves), or by the weight's
 * size for a method that does not factorize. Good for ordering, rough as a duration.
 */
export function estimateJobSeconds(
  job: Pick<CompressJob, 'method' | 'shape' | 'rank' | 'rate' | 'groups'>,
): number {
  const spec = methodSpec(job.method);
  const perLayer = spec.estimateSeconds / REFERENCE_LAYERS;
  const size = job.shape.reduce((p, d) => p * d, 1);
  if (!spec.factorizes) return perLayer * (size / REFERENCE_SIZE);
  const dims = groupCpDims(job.shape, job.groups);
  let rank: number;
  try {
    rank = resolveRank(dims, job.rank, job.rate);
  } catch {
    return 0; // compressLayer refuses the job with the reason; its place in the queue is moot
  }
  const modes = dims.reduce((s, d) => s + d, 0);
  return perLayer * ((size * rank + modes * rank * rank) / REFERENCE_WORK);
}

/** Job indices, the largest estimated time first (ties in job order). */
export function largestFirst(jobs: readonly Parameters<typeof estimateJobSeconds>[0][]): number[] {
  const est = jobs.map(estimateJobSeconds);
  return jobs.map((_, i) => i).sort((a, b) => est[b] - est[a] || a - b);
}

/**
 * When one layer is estimated at more than an even share of the work on `workers` threads, the
 * run cannot end before it does: a sentence saying so, else null.
 */
export function dominantLayerNote(
  jobs: readonly (Parameters<typeof estimateJobSeconds>[0] & { name: string })[],
  workers: number,
): string | null {
  if (workers <= 1 || jobs.length < 2) return null;
  const est = jobs.map(estimateJobSeconds);
  const total = est.reduce((s, e) => s + e, 0);
  const top = est.indexOf(Math.max(...est));
  const share = total > 0 ? est[top] / total : 0;
  if (share <= 1 / workers) return null;
  const pct = Math.round(100 * share);
  return `${jobs[top].name} is about ${pct} % of the estimated work and runs on one thread: with ${workers} threads the run still takes at least about ${pct} % of its one-thread time (a layer this small is not split across threads)`;
}
