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
function stratifiedSample(labels: Int32Array, size: number, seed = SEED): Int32Array {
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = byClass.get(label) ?? [];
    list.push(i);
    byClass.set(label, list);
  });
  const random = mulberry32(seed);
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

/** Calibration images taken from the evaluation data, and what is left to evaluate. */
export interface CalibrationSplit {
  /** Images for calibration, class-balanced, ascending; never among `evaluation`. */
  calibration: Int32Array;
  /** The images evaluated: the asked-for ones, less those given to calibration. */
  evaluation: Int32Array;
  /** True when calibration had to take images from the evaluated ones (no room outside them). */
  fromEvaluated: boolean;
}

const CALIBRATION_SEED = 0xca11_b7a7;

/**
 * Sets `images` images of `dataset` aside for calibration, disjoint from the evaluation. They
 * come from outside `evaluation` when the dataset has that many there (the evaluated images
 * stay the same as without calibration); otherwise from the evaluated ones, at most half of
 * them, and the rest are evaluated. Class-balanced when labelled, evenly spaced otherwise.
 */
export function calibrationSplit(
  dataset: Pick<Dataset, 'count' | 'labels'>,
  evaluation: Int32Array,
  images: number,
): CalibrationSplit {
  const sizes = calibrationSplitSizes(dataset.count, evaluation.length, images);
  const evaluated = new Set(evaluation);
  if (!sizes.fromEvaluated) {
    const outside = rangeIndices(dataset.count).filter((i) => !evaluated.has(i));
    const calibration = pickBalanced(dataset.labels, outside, sizes.calibration);
    return { calibration, evaluation, fromEvaluated: false };
  }
  const calibration = pickBalanced(dataset.labels, evaluation, sizes.calibration);
  const taken = new Set(calibration);
  return {
    calibration,
    evaluation: evaluation.filter((i) => !taken.has(i)),
    fromEvaluated: true,
  };
}

/** The sizes `calibrationSplit` comes to, from counts alone (the page has no labels). */
export function calibrationSplitSizes(
  count: number,
  evaluated: number,
  images: number,
): { calibration: number; evaluation: number; fromEvaluated: boolean } {
  if (count - evaluated >= images) {
    return { calibration: images, evaluation: evaluated, fromEvaluated: false };
  }
  const calibration = Math.min(images, Math.floor(evaluated / 2));
  return { calibration, evaluation: evaluated - calibration, fromEvaluated: true };
}

/** `size` of `candidates` (dataset indices), class-balanced by `labels` when there are any. */
function pickBalanced(labels: Int32Array | null, candidates: Int32Array, size: number): Int32Array {
  if (size >= candidates.length) return Int32Array.from(candidates).sort();
  if (!labels) return evenlySpaced(candidates.length, size).map((k) => candidates[k]);
  const local = stratifiedSample(
    Int32Array.from(candidates, (i) => labels[i]),
    size,
    CALIBRATION_SEED,
  );
  return local.map((k) => candidates[k]).sort();
}
