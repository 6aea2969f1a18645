// Datasets for the qaf subcommands: the format from a flag or the file extension, the file read
// and parsed (images decoded in Node), and the calibration flags `compress` shares with `sweep`.
import { DEFAULT_CALIBRATION_IMAGES } from '../core/calibrate/batches.ts';
import {
  type DatasetLimits,
  DEFAULT_DATASET_LIMITS,
  guessDatasetFormat,
  isDatasetFormat,
  loadDataset,
} from '../core/data/loadDataset.ts';
import { nodeImageDecoder } from '../core/data/nodeImageDecoder.ts';
import {
  type Dataset,
  type DatasetFormat,
  DatasetLimitError,
  type DatasetLimitName,
} from '../core/data/types.ts';
import { DEFAULT_MAX_INPUT_BYTES, parseByteSize, readInputFile, UsageError } from './util.ts';

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

/** The bounds on what a data file may cost: its size, and what a zip may unpack and decode. */
export interface DataLimits {
  maxInputBytes: number;
  dataset: DatasetLimits;
}

export const DEFAULT_DATA_LIMITS: Readonly<DataLimits> = {
  maxInputBytes: DEFAULT_MAX_INPUT_BYTES,
  dataset: DEFAULT_DATASET_LIMITS,
};

/** The flag that raises each dataset limit. */
const LIMIT_FLAGS: Record<DatasetLimitName, string> = {
  maxTotalBytes: 'max-unpacked-bytes',
  maxEntries: 'max-zip-entries',
  maxPixelsPerImage: 'max-image-pixels',
  maxImages: 'max-images',
};

/** Spread into the options of every command that reads a data file. */
export const dataLimitOptions = {
  'max-input-bytes': { type: 'string' },
  'max-unpacked-bytes': { type: 'string' },
  'max-zip-entries': { type: 'string' },
  'max-image-pixels': { type: 'string' },
  'max-images': { type: 'string' },
} as const;

const count = (n: number) => n.toLocaleString('en-US');
const d = DEFAULT_DATASET_LIMITS;
/** The dataset limits alone, for a command that lists --max-input-bytes elsewhere. */
export const datasetLimitUsage = `
limits on data files (a hostile or broken file is refused before it costs more):
  --max-unpacked-bytes N  what a .zip may unpack to in all (default 2G)
  --max-zip-entries N     entries in a .zip (default ${count(d.maxEntries)})
  --max-image-pixels N    width x height of one image, read before decoding
                          (default ${count(d.maxPixelsPerImage)} = 4096 x 4096)
  --max-images N          images in a data file (default ${count(d.maxImages)})
  (--max-input-bytes also bounds the data files)`;

export const dataLimitUsage = `
limits on input files (a hostile or broken file is refused before it costs more):
  --max-input-bytes N     model and data files larger than N bytes (K, M, G; default 2G)
  --max-unpacked-bytes N  what a .zip may unpack to in all (default 2G)
  --max-zip-entries N     entries in a .zip (default ${count(d.maxEntries)})
  --max-image-pixels N    width x height of one image, read before decoding
                          (default ${count(d.maxPixelsPerImage)} = 4096 x 4096)
  --max-images N          images in a data file (default ${count(d.maxImages)})`;

function wholeLimit(flag: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${flag} "${String(value)}" must be a whole number >= 1`);
  }
  return n;
}

/** The limit flags of a command's parsed options (defaults where absent). */
export function parseDataLimits(values: Record<string, unknown>): DataLimits {
  return {
    maxInputBytes: parseByteSize('max-input-bytes', values['max-input-bytes']),
    dataset: {
      maxTotalBytes: parseByteSize(
        'max-unpacked-bytes',
        values['max-unpacked-bytes'],
        d.maxTotalBytes,
      ),
      maxEntries: wholeLimit('max-zip-entries', values['max-zip-entries'], d.maxEntries),
      maxPixelsPerImage: wholeLimit(
        'max-image-pixels',
        values['max-image-pixels'],
        d.maxPixelsPerImage,
      ),
      maxImages: wholeLimit('max-images', values['max-images'], d.maxImages),
    },
  };
}

/**
 * Reads and parses a dataset file within `limits`; `what` names it in a "cannot read" error, and
 * a refusal for a limit names the flag that raises it.
 */
export async function loadDataFile(
  path: string,
  format: DatasetFormat,
  what: string,
  limits: DataLimits = DEFAULT_DATA_LIMITS,
): Promise<LoadedData> {
  const bytes = readInputFile(path, what, limits.maxInputBytes);
  try {
    const options = { limits: limits.dataset };
    return { bytes, dataset: await loadDataset(bytes, format, nodeImageDecoder, options) };
  } catch (err) {
    if (!(err instanceof DatasetLimitError)) throw err;
    throw new UsageError(
      `${what} "${path}": ${err.message} (--${LIMIT_FLAGS[err.limit]} raises it)`,
    );
  }
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
    // A .npz holds arrays for the model's inputs (src/cli/inputArrays.ts), read as .npy ones.
    format: /\.npz$/i.test(file)
      ? 'npy'
      : datasetFormat('sweep', file, given, 'calibration-format'),
    images: countOption('calibration-images', images, DEFAULT_CALIBRATION_IMAGES)!,
  };
}
