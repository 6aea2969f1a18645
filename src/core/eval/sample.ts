// A few evaluated images with what each model said about them, for people who read pictures
// better than percentages: the images where the compressed model's top-1 differs from the
// original's first, then a spread of the rest. Thumbnails are small RGB (at most `maxSide`
// pixels a side), so 48 of them stay near 100-330 KB.
import type { Dataset } from '../data/types.ts';

export interface PredictionSampleItem {
  /** Index of the image in the dataset. */
  index: number;
  /** The label's class, or null without labels. */
  label: number | null;
  /** Top-1 class of the original (reference) model. */
  original: number;
  /** Top-1 class of the evaluated (compressed) model. */
  compressed: number;
}

export interface PredictionSample {
  items: PredictionSampleItem[];
  /** Disagreements among all evaluated images (not only the sample). */
  disagreements: number;
  evaluated: number;
  thumbWidth: number;
  thumbHeight: number;
  /** RGB bytes, one thumbnail after another, in the items' order. */
  thumbnails: Uint8Array;
  classNames: string[] | null;
}

export interface SampleOptions {
  count?: number;
  maxSide?: number;
}

/** Which evaluated positions to show: disagreements first, then evenly spread agreements. */
export function samplePositions(
  predictions: ArrayLike<number>,
  reference: ArrayLike<number>,
  count: number,
): number[] {
  const differ: number[] = [];
  const agree: number[] = [];
  for (let k = 0; k < predictions.length; k++) {
    (predictions[k] === reference[k] ? agree : differ).push(k);
  }
  const chosen = differ.slice(0, count);
  const room = count - chosen.length;
  const step = agree.length / Math.max(1, room);
  for (let j = 0; j < room && j < agree.length; j++) chosen.push(agree[Math.floor(j * step)]);
  return chosen;
}

/** Nearest-neighbour RGB thumbnail of an 8-bit HWC image (grey is repeated into RGB). */
function thumbnail(
  image: { width: number; height: number; channels: number; data: ArrayLike<number> },
  width: number,
  height: number,
  out: Uint8Array,
  offset: number,
): void {
  const c = image.channels;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / width));
      const src = (sy * image.width + sx) * c;
      const dst = offset + (y * width + x) * 3;
      for (let ch = 0; ch < 3; ch++) out[dst + ch] = image.data[src + (c >= 3 ? ch : 0)];
    }
  }
}

/**
 * The sample of an evaluation with a reference model; null when the data are not pictures
 * (ready-made float inputs) or there was no reference.
 */
export function predictionSample(
  dataset: Dataset,
  indices: ArrayLike<number>,
  predictions: ArrayLike<number>,
  reference: ArrayLike<number> | null,
  options: SampleOptions = {},
): PredictionSample | null {
  if (!reference || dataset.pixelType !== 'uint8' || predictions.length === 0) return null;
  const count = options.count ?? 48;
  const maxSide = options.maxSide ?? 48;
  const scale = Math.min(1, maxSide / Math.max(dataset.width, dataset.height));
  const thumbWidth = Math.max(1, Math.round(dataset.width * scale));
  const thumbHeight = Math.max(1, Math.round(dataset.height * scale));
  const positions = samplePositions(predictions, reference, count);
  const thumbnails = new Uint8Array(positions.length * thumbWidth * thumbHeight * 3);
  const items = positions.map((k, j) => {
    const index = indices[k];
    thumbnail(
      dataset.getImage(index),
      thumbWidth,
      thumbHeight,
      thumbnails,
      j * thumbWidth * thumbHeight * 3,
    );
    return {
      index,
      label: dataset.labels ? dataset.labels[index] : null,
      original: reference[k],
      compressed: predictions[k],
    };
  });
  let disagreements = 0;
  for (let k = 0; k < predictions.length; k++) if (predictions[k] !== reference[k]) disagreements++;
  return {
    items,
    disagreements,
    evaluated: predictions.length,
    thumbWidth,
    thumbHeight,
    thumbnails,
    classNames: dataset.classNames,
  };
}
