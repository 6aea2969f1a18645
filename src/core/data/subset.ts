// Which images an evaluation uses. "quick" is a fixed, class-balanced sample so that numbers from
// different runs and different models are comparable; "full" is everything.
import { mulberry32 } from '../util/prng.ts';
import type { Dataset } from './types.ts';

export type SubsetName = 'quick' | 'full';
export const QUICK_SUBSET_SIZE = 1000;
const SEED = 0x5eed_cafe;

export function subsetIndices(
  dataset: Pick<Dataset, 'count' | 'labels'>,
  subset: SubsetName,
  quickSize = QUICK_SUBSET_SIZE,
): Int32Array {
  if (subset === 'full' || dataset.count <= quickSize) return rangeIndices(dataset.count);
  return dataset.labels
    ? stratifiedSample(dataset.labels, quickSize)
    : evenlySpaced(dataset.count, quickSize);
}

export function rangeIndices(count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => i);
}

function evenlySpaced(count: number, size: number): Int32Array {
  return Int32Array.from({ length: size }, (_, k) => Math.floor((k * count) / size));
}

/**
 * Round-robin over classes, each class's images in a fixed pseudo-random order, until `size` are
 * taken: per-class counts differ by at most one (unless a class runs out). Sorted ascending.
 */
function stratifiedSample(labels: Int32Array, size: number): Int32Array {
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = byClass.get(label) ?? [];
    list.push(i);
    byClass.set(label, list);
  });
  const random = mulberry32(SEED);
  const pools = [...byClass.keys()]
    .sort((a, b) => a - b)
    .map((k) => shuffle(byClass.get(k)!, random));
  const picked: number[] = [];
  for (let round = 0; picked.length < size; round++) {
    for (const pool of pools) {
      if (round < pool.length && picked.length < size) picked.push(pool[round]);
    }
  }
  return Int32Array.from(picked).sort();
}

function shuffle(list: number[], random: () => number): number[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}
