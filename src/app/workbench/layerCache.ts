// Layer results of this session by what determines them, so rebuilding a configuration (a
// download after the bytes were dropped, a repeated run) skips the factorization.
import type { CompressJob, LayerResult } from '../../core/factor/types.ts';

const results = new Map<string, LayerResult>();
/** About 40 ResNet-20 configurations of 18 layers; old entries go first. */
const CAPACITY = 800;

/**
 * `momentsHash`: SHA-256 of the input statistics a data-aware QAF job carries (a data-aware
 * factorization is never served for other images, nor for the published objective).
 */
export function layerKey(
  modelKey: string,
  job: CompressJob,
  momentsHash: string | null = null,
): string {
  const { name, method, rank, rate, bits, preset, seed, perChannel } = job;
  const key = [modelKey, name, method, rank, rate, bits, preset, seed, perChannel];
  const dataAware = method === 'admm' && job.objective !== 'published' && momentsHash !== null;
  return JSON.stringify(dataAware ? [...key, 'data', momentsHash] : key);
}

export function cachedLayer(key: string): LayerResult | undefined {
  return results.get(key);
}

export function cacheLayer(key: string, result: LayerResult): void {
  results.delete(key);
  results.set(key, result);
  while (results.size > CAPACITY) results.delete(results.keys().next().value as string);
}
