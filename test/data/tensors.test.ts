import { describe, expect, it } from 'vitest';
import { type NpyArray, parseNpyArray } from '../../src/core/data/npy.ts';
import {
  type ModelInputSpec,
  modelInputSpecs,
  parseNpyZip,
  tensorBatch,
  tensorSetFromArrays,
} from '../../src/core/data/tensors.ts';
import { DatasetFormatError } from '../../src/core/data/types.ts';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/core/onnx/builders.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { npyBytes, zipBytes } from './fixtures.ts';

const bytesOf = (a: ArrayBufferView) => a as unknown as Float32Array;
const arr = (shape: number[], data: NpyArray['data'], dtype: NpyArray['dtype'] = 'float32') => ({
  dtype,
  shape,
  data,
});

const audio: ModelInputSpec = { name: 'audio', shape: ['N', 1, 16], type: 'float32' };
const lengths: ModelInputSpec = { name: 'lengths:0', shape: ['N'], type: 'int64' };

describe('parseNpyArray', () => {
  it('reads float64, int64, int32 and bool arrays of any rank', () => {
    const f64 = parseNpyArray(npyBytes('<f8', [3], bytesOf(Float64Array.from([1.5, -2, 3]))));
    expect(f64.dtype).toBe('float64');
    expect([...f64.data]).toEqual([1.5, -2, 3]);
    const i64 = parseNpyArray(npyBytes('<i8', [2, 1], bytesOf(BigInt64Array.from([7n, -1n]))));
    expect([...i64.data]).toEqual([7n, -1n]);
    const i32 = parseNpyArray(npyBytes('<i4', [2], bytesOf(Int32Array.from([4, 5]))));
    expect(i32.shape).toEqual([2]);
    const b = parseNpyArray(npyBytes('|b1', [2], Uint8Array.from([1, 0])));
    expect(b.dtype).toBe('bool');
  });

  it('refuses a truncated array and complex numbers, saying why', () => {
    const cut = npyBytes('<f4', [4], new Float32Array(4)).slice(0, -2);
    expect(() => parseNpyArray(cut)).toThrow(/truncated/);
    const complex = npyBytes('<c8', [1], new Float32Array(2));
    expect(() => parseNpyArray(complex)).toThrow(/unsupported .npy dtype '<c8'/);
  });
});

describe('tensorSetFromArrays', () => {
  const wave = Float32Array.from({ length: 2 * 16 }, (_, i) => i);

  it('feeds each input from the array named after it, punctuation aside', () => {
    const arrays = new Map([
      ['audio', arr([2, 1, 16], wave)],
      ['lengths_0', arr([2], Int32Array.from([16, 12]), 'int32')],
    ]);
    const set = tensorSetFromArrays(arrays, [audio, lengths]);
    expect(set.count).toBe(2);
    expect(set.inputs.map((i) => [i.name, i.type, i.dims])).toEqual([
      ['audio', 'float32', [1, 16]],
      ['lengths:0', 'int64', []],
    ]);
    // int32 -> int64 for the model's type.
    expect([...set.inputs[1].data]).toEqual([16n, 12n]);
    const batch = tensorBatch(set, [1, 1]);
    expect(batch.get('audio')!.dims).toEqual([2, 1, 16]);
    expect(batch.get('audio')!.data[0]).toBe(16);
    expect([...batch.get('lengths:0')!.data]).toEqual([12n, 12n]);
  });

  it('takes a one-input model single array whatever its name, and one sample without the batch axis', () => {
    const set = tensorSetFromArrays(new Map([['recording', arr([1, 16], wave.subarray(0, 16))]]), [
      audio,
    ]);
    expect(set.count).toBe(1);
    expect(set.inputs[0].dims).toEqual([1, 16]);
  });

  it('float64 arrays become float32 for a float input', () => {
    const set = tensorSetFromArrays(
      new Map([['audio', arr([1, 1, 16], new Float64Array(16).fill(0.25), 'float64')]]),
      [audio],
    );
    expect(set.inputs[0].data).toBeInstanceOf(Float32Array);
    expect(set.inputs[0].data[3]).toBe(0.25);
  });

  it('says which input has no array, which array fits nothing, and what shape is wrong', () => {
    const only = new Map([['audio', arr([2, 1, 16], wave)]]);
    expect(() => tensorSetFromArrays(only, [audio, lengths])).toThrow(
      /no array for model input "lengths:0".*lengths:0.npy/,
    );
    const extra = new Map([
      ['audio', arr([2, 1, 16], wave)],
      ['lengths', arr([2], Int32Array.from([1, 2]), 'int32')],
      ['labels', arr([2], Int32Array.from([1, 2]), 'int32')],
    ]);
    expect(() => tensorSetFromArrays(extra, [audio, lengths])).toThrow(
      /array "labels" match no model input/,
    );
    const wrong = new Map([['audio', arr([1, 2, 16], wave)]]);
    expect(() => tensorSetFromArrays(wrong, [{ ...audio, shape: ['N', 1, 16] }])).toThrow(
      /dimension 1 is 2, the model needs 1/,
    );
    const rank = new Map([['audio', arr([32], wave)]]);
    expect(() => tensorSetFromArrays(rank, [audio])).toThrow(/needs 3 dimensions/);
    const counts = new Map([
      ['audio', arr([2, 1, 16], wave)],
      ['lengths', arr([3], Int32Array.from([1, 2, 3]), 'int32')],
    ]);
    expect(() => tensorSetFromArrays(counts, [audio, lengths])).toThrow(
      /different numbers of samples/,
    );
    const floatToInt = new Map([['x', arr([2], Float32Array.from([1, 2]))]]);
    expect(() => tensorSetFromArrays(floatToInt, [lengths])).toThrow(DatasetFormatError);
  });
});

describe('parseNpyZip and modelInputSpecs', () => {
  it('reads the arrays of an .npz (a zip of .npy) by name, for the inputs the graph declares', () => {
    const zip = zipBytes({
      'audio.npy': npyBytes('<f4', [2, 1, 16], new Float32Array(32)),
      'lengths.npy': npyBytes('<i8', [2], bytesOf(BigInt64Array.from([16n, 8n]))),
      'README.txt': new TextEncoder().encode('not an array'),
    });
    const arrays = parseNpyZip(zip, { maxTotalBytes: 1 << 20, maxEntries: 10 });
    expect([...arrays.keys()].sort()).toEqual(['audio', 'lengths']);
    const graph = makeGraph({
      nodes: [makeNode('Identity', ['audio'], ['y'])],
      inputs: [
        makeValueInfo('audio', DataType.FLOAT, ['N', 1, 16]),
        makeValueInfo('lengths', DataType.INT64, ['N']),
      ],
      outputs: [makeValueInfo('y', DataType.FLOAT, ['N', 1, 16])],
    });
    const specs = modelInputSpecs(makeModel(graph));
    expect(specs).toEqual([
      { name: 'audio', shape: ['N', 1, 16], type: 'float32' },
      { name: 'lengths', shape: ['N'], type: 'int64' },
    ]);
    expect(tensorSetFromArrays(arrays, specs).source).toBe('audio.npy, lengths.npy');
    expect(() =>
      parseNpyZip(zipBytes({ 'a.txt': new Uint8Array(1) }), { maxTotalBytes: 100, maxEntries: 4 }),
    ).toThrow(/no .npy array/);
  });
});
