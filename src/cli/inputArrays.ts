// Model inputs as arrays for `qaf eval --inputs` and `qaf compress -o --check-data`: one .npy per
// graph input (named by the input: audio.npy feeds "audio"), or a .npz / .zip of such .npy files.
import { basename } from 'node:path';
import { makeCalibrationBatches, tensorCalibrationBatches } from '../core/calibrate/batches.ts';
import type { CalibrationBatch } from '../core/calibrate/outputStats.ts';
import type { NpyArray } from '../core/data/npy.ts';
import { parseNpyArray, parseNpyHeader } from '../core/data/npy.ts';
import {
  modelInputSpecs,
  parseNpyZip,
  type TensorSet,
  tensorSetFromArrays,
} from '../core/data/tensors.ts';
import { type DatasetFormat, DatasetFormatError } from '../core/data/types.ts';
import type { OnnxModel } from '../core/onnx/types.ts';
import { type DataLimits, DEFAULT_DATA_LIMITS, loadDataFile } from './data.ts';
import { readInputFile, UsageError } from './util.ts';

/** One clause for the usage texts; the caller wraps it. */
export const inputArraysUsage = 'one .npy per model input, named after it, or a .npz of them';

/** "a.npy,b.npy" -> the paths (a flag given once or several times); null when absent. */
export function splitPaths(value: string | readonly string[] | undefined): string[] | null {
  if (value === undefined) return null;
  const list = (typeof value === 'string' ? [value] : value).flatMap((v) => v.split(','));
  return list.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** True for the files that hold arrays rather than images. */
export function isArrayFile(path: string): boolean {
  return /\.(npy|npz)$/i.test(path);
}

/** Reads the files and matches their arrays to the model's inputs; errors name file and input. */
export function loadInputArrays(
  paths: readonly string[],
  model: OnnxModel,
  limits: DataLimits = DEFAULT_DATA_LIMITS,
): TensorSet {
  const arrays = new Map<string, NpyArray>();
  const add = (name: string, array: NpyArray, file: string) => {
    if (arrays.has(name)) throw new UsageError(`two arrays are named "${name}" (in ${file})`);
    arrays.set(name, array);
  };
  for (const path of paths) {
    const bytes = readInputFile(path, 'input arrays', limits.maxInputBytes);
    try {
      if (/\.npy$/i.test(path)) {
        add(basename(path).replace(/\.npy$/i, ''), parseNpyArray(bytes), path);
      } else if (/\.(npz|zip)$/i.test(path)) {
        for (const [name, array] of parseNpyZip(bytes, limits.dataset)) add(name, array, path);
      } else {
        throw new UsageError(`"${path}" is not a .npy, .npz or .zip of .npy arrays`);
      }
    } catch (err) {
      if (err instanceof DatasetFormatError) throw new UsageError(`"${path}": ${err.message}`);
      throw err;
    }
  }
  try {
    return tensorSetFromArrays(arrays, modelInputSpecs(model));
  } catch (err) {
    if (err instanceof DatasetFormatError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Calibration batches from a file, for every command that calibrates or measures on calibration
 * data: arrays (.npz, or a float .npy whose shape is the model input's) are used as they are, for
 * any rank and any number of inputs; images (CIFAR-10 .bin, .zip, uint8 .npy) are preprocessed.
 */
export async function calibrationBatchesFromFile(
  file: string,
  format: DatasetFormat,
  model: OnnxModel,
  images: number,
  limits: DataLimits = DEFAULT_DATA_LIMITS,
): Promise<CalibrationBatch[]> {
  const arrays = isArrayFile(file) ? calibrationArrays(file, model, limits) : null;
  if (arrays) {
    try {
      return tensorCalibrationBatches(model, arrays, { images });
    } catch (err) {
      throw new UsageError(`calibration data "${file}": ${(err as Error).message}`);
    }
  }
  const { dataset } = await loadDataFile(file, format, 'calibration data', limits);
  return makeCalibrationBatches(model, dataset, { images });
}

/** The arrays of an .npz or a float .npy that fits the model's inputs; null for image arrays. */
function calibrationArrays(file: string, model: OnnxModel, limits: DataLimits): TensorSet | null {
  if (/\.npz$/i.test(file)) return loadInputArrays([file], model, limits);
  try {
    // uint8 pixels are images: they take the preprocessing (scale, mean, layout) route.
    const bytes = readInputFile(file, 'calibration data', limits.maxInputBytes);
    if (parseNpyHeader(bytes).dtype === 'uint8') return null;
    const set = loadInputArrays([file], model, limits);
    return set.inputs.every((i) => i.type === 'float32') ? set : null;
  } catch {
    return null;
  }
}
