// Model inputs as arrays for `qaf eval --inputs` and `qaf compress -o --check-data`: one .npy per
// graph input (named by the input: audio.npy feeds "audio"), or a .npz / .zip of such .npy files.
import { basename } from 'node:path';
import type { NpyArray } from '../core/data/npy.ts';
import { parseNpyArray } from '../core/data/npy.ts';
import {
  modelInputSpecs,
  parseNpyZip,
  type TensorSet,
  tensorSetFromArrays,
} from '../core/data/tensors.ts';
import { DatasetFormatError } from '../core/data/types.ts';
import type { OnnxModel } from '../core/onnx/types.ts';
import { type DataLimits, DEFAULT_DATA_LIMITS } from './data.ts';
import { readInputFile, UsageError } from './util.ts';

export const inputArraysUsage = `one .npy per model input, named after it (audio.npy feeds input "audio";
                     a one-input model takes any one .npy), or a .npz/.zip of such .npy files;
                     the first axis holds the samples`;

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
