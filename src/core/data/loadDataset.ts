// One entry point over the formats, for the CLI and the worker.
import { parseCifar10 } from './cifar10.ts';
import { parseNpyImages } from './npy.ts';
import {
  type Dataset,
  type DatasetFormat,
  DatasetFormatError,
  DatasetLimitError,
  type ImageDecoder,
} from './types.ts';
import { DEFAULT_DATASET_LIMITS, parseImageZip, type ZipImagesOptions } from './zipImages.ts';

// Limits on what a zip may unpack to and decode; the CLI and the worker pass overrides as
// `options.limits`.
export { type DatasetLimits, DEFAULT_DATASET_LIMITS } from './zipImages.ts';

export function guessDatasetFormat(fileName: string): DatasetFormat | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.bin')) return 'cifar10';
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.npy')) return 'npy';
  return null;
}

export function isDatasetFormat(s: string): s is DatasetFormat {
  return s === 'cifar10' || s === 'zip' || s === 'npy';
}

export async function loadDataset(
  bytes: Uint8Array,
  format: DatasetFormat,
  decode: ImageDecoder,
  options: ZipImagesOptions = {},
): Promise<Dataset> {
  switch (format) {
    case 'cifar10':
      return checkImageCount(parseCifar10(bytes), options.limits?.maxImages);
    case 'npy':
      return checkImageCount(parseNpyImages(bytes), options.limits?.maxImages);
    case 'zip':
      return parseImageZip(bytes, decode, options);
    default:
      throw new DatasetFormatError(`unknown dataset format '${format as string}'`);
  }
}

/** maxImages for the formats whose images are views of the file (zips check it themselves). */
function checkImageCount(dataset: Dataset, max = DEFAULT_DATASET_LIMITS.maxImages): Dataset {
  if (dataset.count > max) {
    throw new DatasetLimitError(
      `the file has ${dataset.count.toLocaleString('en-US')} images, more than the limit of ` +
        `${max.toLocaleString('en-US')}`,
      'maxImages',
    );
  }
  return dataset;
}
