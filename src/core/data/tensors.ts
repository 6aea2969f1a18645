// Model inputs given as arrays, for models that are not single-input image classifiers: one .npy
// per graph input (named by the input), or a zip/.npz of them. Each array holds samples along
// its first axis (or is one sample without it); the model's fixed dims are checked, and the
// element type is converted where that loses nothing a model could need (float64 -> float32,
// int32 <-> int64, bool/uint8 -> an integer input).

import { graphInputs } from '../onnx/graphInputs.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { type NpyArray, parseNpyArray } from './npy.ts';
import { DatasetFormatError } from './types.ts';
import { listZipEntries, readZipEntry, type ZipLimits } from './zipReader.ts';

export type TensorType = 'float32' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export type TensorData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array;

/** One graph input as the model declares it: numbers for fixed dims, names for symbolic ones. */
export interface ModelInputSpec {
  name: string;
  shape: readonly (number | string)[];
  type: TensorType;
}

/** The samples of one input: `dims` per sample (the model's dims after the batch axis). */
export interface InputSamples {
  name: string;
  type: TensorType;
  dims: number[];
  data: TensorData;
}

/** Samples for every input of a model, `count` of each, in the same order. */
export interface TensorSet {
  count: number;
  inputs: InputSamples[];
  /** Where the arrays came from, e.g. "x.npy, lengths.npy". */
  source: string;
}

/** A feed of `n` samples for one input: dims are [n, ...per-sample dims]. */
export interface InputBatch {
  type: TensorType;
  data: TensorData;
  dims: number[];
}

const ONNX_TYPES: Record<number, TensorType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  11: 'float64',
};

/** The model's real inputs with their declared shapes and element types. */
export function modelInputSpecs(model: OnnxModel): ModelInputSpec[] {
  return graphInputs(model).map((input) => {
    const t = input.type?.tensorType;
    const type = ONNX_TYPES[t?.elemType ?? 0];
    const name = input.name ?? '';
    if (!type) {
      throw new DatasetFormatError(
        `input "${name}" has ONNX element type ${t?.elemType ?? 'unknown'}, which arrays cannot feed`,
      );
    }
    const shape = (t?.shape?.dim ?? []).map((d) =>
      d.dimValue !== undefined && Number(d.dimValue) > 0 ? Number(d.dimValue) : (d.dimParam ?? '?'),
    );
    return { name, shape, type };
  });
}

/** The array names of a zip or .npz: entries ending in .npy, the extension dropped. */
export function parseNpyZip(bytes: Uint8Array, limits: ZipLimits): Map<string, NpyArray> {
  const arrays = new Map<string, NpyArray>();
  for (const entry of listZipEntries(bytes, limits)) {
    if (entry.path.endsWith('/') || !entry.path.toLowerCase().endsWith('.npy')) continue;
    const name = entry.path.replace(/\.npy$/i, '');
    try {
      arrays.set(name, parseNpyArray(readZipEntry(bytes, entry)));
    } catch (err) {
      if (err instanceof DatasetFormatError) {
        throw new DatasetFormatError(`${entry.path} in the zip: ${err.message}`);
      }
      throw err;
    }
  }
  if (arrays.size === 0) throw new DatasetFormatError('the zip holds no .npy array');
  return arrays;
}

/** Punctuation differs between exporters and file systems ("input_1:0" vs "input_1_0" or
 * "input_1"): compared without a TensorFlow ":0" suffix, punctuation as '_', any case. */
const loose = (s: string) =>
  s
    .replace(/[:_]0$/, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase();

/**
 * Matches named arrays to the model's inputs: by name (exact, then ignoring punctuation and
 * case); a model with one input takes a single array whatever its name. Every input needs an
 * array and every array an input, so a misspelt name is an error, not a silent zero.
 */
export function tensorSetFromArrays(
  arrays: ReadonlyMap<string, NpyArray>,
  inputs: readonly ModelInputSpec[],
): TensorSet {
  if (inputs.length === 0) throw new DatasetFormatError('the model has no inputs to feed');
  const names = [...arrays.keys()];
  const chosen = new Map<string, string>();
  if (inputs.length === 1 && names.length === 1) {
    chosen.set(inputs[0].name, names[0]);
  } else {
    for (const input of inputs) {
      const match =
        names.find((n) => n === input.name) ?? names.find((n) => loose(n) === loose(input.name));
      if (match === undefined) {
        throw new DatasetFormatError(
          `no array for model input "${input.name}": the arrays are ${names.map((n) => `"${n}"`).join(', ')}; ` +
            `name each .npy after the input it feeds (${inputs.map((i) => `${i.name}.npy`).join(', ')})`,
        );
      }
      chosen.set(input.name, match);
    }
    const unused = names.filter((n) => ![...chosen.values()].includes(n));
    if (unused.length > 0) {
      throw new DatasetFormatError(
        `array${unused.length === 1 ? '' : 's'} ${unused.map((n) => `"${n}"`).join(', ')} match no model input ` +
          `(the inputs are ${inputs.map((i) => `"${i.name}"`).join(', ')})`,
      );
    }
  }
  const samples = inputs.map((input) => inputSamples(input, chosen.get(input.name)!, arrays));
  const counts = new Set(samples.map((s) => s.count));
  if (counts.size > 1) {
    throw new DatasetFormatError(
      `the arrays hold different numbers of samples (${samples.map((s) => `${s.input.name}: ${s.count}`).join(', ')}); ` +
        'every input needs one entry per sample',
    );
  }
  return {
    count: samples[0].count,
    inputs: samples.map((s) => s.input),
    source: [...chosen.values()].map((n) => `${n}.npy`).join(', '),
  };
}

function inputSamples(
  input: ModelInputSpec,
  arrayName: string,
  arrays: ReadonlyMap<string, NpyArray>,
): { input: InputSamples; count: number } {
  const array = arrays.get(arrayName)!;
  const rank = input.shape.length;
  const what = `array "${arrayName}" (shape (${array.shape.join(', ')})) for input "${input.name}" [${input.shape.join(', ')}]`;
  if (rank === 0) throw new DatasetFormatError(`${what}: scalar inputs are not supported`);
  // Samples along the first axis, or a single sample without that axis.
  const withBatch = array.shape.length === rank;
  if (!withBatch && array.shape.length !== rank - 1) {
    throw new DatasetFormatError(
      `${what}: needs ${rank} dimensions (samples first) or ${rank - 1} (one sample)`,
    );
  }
  const dims = withBatch ? array.shape.slice(1) : array.shape;
  const count = withBatch ? array.shape[0] : 1;
  dims.forEach((d, i) => {
    const want = input.shape[i + 1];
    if (typeof want === 'number' && want !== d) {
      throw new DatasetFormatError(`${what}: dimension ${i + 1} is ${d}, the model needs ${want}`);
    }
  });
  if (count === 0) throw new DatasetFormatError(`${what}: holds no sample`);
  return {
    input: { name: input.name, type: input.type, dims, data: convert(array, input.type, what) },
    count,
  };
}

function convert(array: NpyArray, type: TensorType, what: string): TensorData {
  const { data, dtype } = array;
  if (dtype === type) return data;
  const isFloat = (t: string) => t === 'float32' || t === 'float64';
  if (isFloat(type)) {
    const out = type === 'float32' ? new Float32Array(data.length) : new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  if (isFloat(dtype)) {
    throw new DatasetFormatError(
      `${what}: the array is ${dtype} but the input takes ${type}: save it as integers`,
    );
  }
  switch (type) {
    case 'int64':
      return BigInt64Array.from(data as ArrayLike<number | bigint>, (v) => BigInt(v));
    case 'int32':
      return Int32Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
    case 'int8':
      return Int8Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
    default:
      return Uint8Array.from(data as ArrayLike<number | bigint>, (v) => (Number(v) ? 1 : 0));
  }
}

/** The samples `indices` of every input, each as one batch [n, ...dims]. */
export function tensorBatch(set: TensorSet, indices: readonly number[]): Map<string, InputBatch> {
  const out = new Map<string, InputBatch>();
  for (const input of set.inputs) {
    const per = input.dims.reduce((a, b) => a * b, 1);
    const data = newLike(input.data, indices.length * per);
    indices.forEach((i, k) => {
      if (i < 0 || i >= set.count) throw new RangeError(`sample ${i} out of range`);
      (data as Float32Array).set(
        (input.data as Float32Array).subarray(i * per, (i + 1) * per),
        k * per,
      );
    });
    out.set(input.name, { type: input.type, data, dims: [indices.length, ...input.dims] });
  }
  return out;
}

function newLike(data: TensorData, length: number): TensorData {
  const Ctor = data.constructor as new (n: number) => TensorData;
  return new Ctor(length);
}
