// Datasets for the qaf subcommands: the format from a flag or the file extension, the file read
// and parsed (images decoded in Node), and the calibration flags `compress` shares with `sweep`.
import { DEFAULT_CALIBRATION_IMAGES } from '../core/calibrate/batches.ts';
import { guessDatasetFormat, isDatasetFormat, loadDataset } from '../core/data/loadDataset.ts';
import { nodeImageDecoder } from '../core/data/nodeImageDecoder.ts';
import type { Dataset, DatasetFormat } from '../core/data/types.ts';
import { readInputFile, UsageError } from './util.ts';

/**
 * The format named by `given` (a --format-like flag) or guessed from the extension of `file`.
 * The UsageError names `command` and, when there is one, the flag that would settle it.
 */
export function datasetFormat(
  command: string,
  file: string,
  given: string | undefined,
  flag: string | null,
): DatasetFormat {
  const format = given ?? guessDatasetFormat(file);
  if (format && isDatasetFormat(format)) return format;
  const hint = flag ? `: pass --${flag} cifar10, zip or npy` : ' (.bin, .zip, .npy)';
  throw new UsageError(`${command}: cannot tell the format of "${file}"${hint}`);
}

export interface LoadedData {
  /** The file as read (sweeps hash it for their cache keys). */
  bytes: Uint8Array;
  dataset: Dataset;
}

/** Reads and parses a dataset file; `what` names it in a "cannot read" error. */
export async function loadDataFile(
  path: string,
  format: DatasetFormat,
  what: string,
): Promise<LoadedData> {
  const bytes = readInputFile(path, what);
  return { bytes, dataset: await loadDataset(bytes, format, nodeImageDecoder) };
}

/** A whole number >= 1 from a sweep/calibration flag, or `fallback` when absent. */
export function countOption(flag: string, value: string | undefined, fallback: number | null) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`sweep: --${flag} must be a whole number >= 1`);
  return n;
}

/** The calibration flags `qaf compress` shares with `qaf sweep`. */
export const calibrationCliOptions = {
  'calibration-data': { type: 'string' },
  'calibration-format': { type: 'string' },
  'calibration-images': { type: 'string' },
} as const;

export const calibrationCliUsage = `
calibration after compression (needs -o):
  --calibration-data FILE   images kept apart from any evaluation set (CIFAR-10 .bin, .zip,
                            .npy): per output channel of each compressed layer, match the float
                            model's output mean and variance (folded into the last factor's
                            per-channel scale and the bias; integer codes unchanged)
  --calibration-format F    cifar10, zip or npy (default: from the extension)
  --calibration-images N    images used (default ${DEFAULT_CALIBRATION_IMAGES})`;

export interface CalibrationCliArgs {
  file: string;
  format: DatasetFormat;
  images: number;
}

/** The calibration flags of `command`, or null when --calibration-data is absent. */
export function parseCalibrationArgs(values: Record<string, unknown>): CalibrationCliArgs | null {
  const file = values['calibration-data'] as string | undefined;
  if (!file) {
    if (values['calibration-format'] || values['calibration-images']) {
      throw new UsageError('--calibration-format and --calibration-images need --calibration-data');
    }
    return null;
  }
  const images = values['calibration-images'] as string | undefined;
  const given = values['calibration-format'] as string | undefined;
  return {
    file,
    format: datasetFormat('sweep', file, given, 'calibration-format'),
    images: countOption('calibration-images', images, DEFAULT_CALIBRATION_IMAGES)!,
  };
}
