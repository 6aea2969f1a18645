import { describe, expect, it } from 'vitest';
import {
  DataType,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  readModel,
  type TensorProto,
  tensorToArray,
  tensorToFloat32,
  writeModel,
} from '../../src/core/onnx/index.ts';

/** Writes the tensor as an initializer of a tiny model and reads it back. */
function throughFile(t: TensorProto): TensorProto {
  const graph = makeGraph({
    nodes: [makeNode('Identity', [t.name ?? ''], ['y'])],
    inputs: [],
    outputs: [makeValueInfo('y', t.dataType ?? 0)],
    initializers: [t],
  });
  const back = readModel(writeModel(makeModel(graph, { opset: 21 })));
  return back.graph.initializer![0];
}

const cases: { type: number; name: string; values: number[]; expected?: number[] }[] = [
  { type: DataType.FLOAT, name: 'FLOAT', values: [1.5, -2.25, 0, 3e-8] },
  { type: DataType.UINT8, name: 'UINT8', values: [0, 1, 127, 255] },
  { type: DataType.INT8, name: 'INT8', values: [-128, -1, 0, 127] },
  { type: DataType.INT32, name: 'INT32', values: [-2147483648, -7, 0, 2147483647] },
  { type: DataType.INT64, name: 'INT64', values: [-(2 ** 53) + 1, -3, 0, 2 ** 40] },
  {
    type: DataType.FLOAT16,
    name: 'FLOAT16',
    values: [1, -0.5, 65504, 1e-7],
    expected: [1, -0.5, 65504, 1.1920928955078125e-7],
  },
  { type: DataType.DOUBLE, name: 'DOUBLE', values: [Math.PI, -1e300, 0, 1e-300] },
  { type: DataType.UINT4, name: 'UINT4', values: [0, 15, 7, 8, 1] },
  { type: DataType.INT4, name: 'INT4', values: [-8, 7, -1, 0, 3] },
];

/** The same values stored the other way: in the typed fields, as onnx.helper does with raw=False. */
function typedTensor(type: number, values: number[]): TensorProto {
  const t: TensorProto = { name: 't', dataType: type, dims: [values.length] };
  if (type === DataType.FLOAT) t.floatData = values;
  else if (type === DataType.DOUBLE) t.doubleData = values;
  else if (type === DataType.INT64) t.int64Data = BigInt64Array.from(values, BigInt);
  else if (type === DataType.FLOAT16)
    t.int32Data = Array.from(
      new Uint16Array(makeTensor('h', type, [values.length], values).rawData!.buffer),
    );
  else if (type === DataType.INT4 || type === DataType.UINT4) {
    // int32_data holds the packed bytes, two 4-bit values each.
    t.int32Data = Array.from(makeTensor('p', type, [values.length], values).rawData!);
  } else t.int32Data = values;
  return t;
}

describe('element types', () => {
  for (const c of cases) {
    const expected =
      c.expected ??
      (c.type === DataType.FLOAT ? Array.from(Float32Array.from(c.values)) : c.values);
    it(`${c.name} from raw_data`, () => {
      const t = throughFile(makeTensor('t', c.type, [c.values.length], c.values));
      expect(t.rawData).toBeDefined();
      expect(Array.from(tensorToFloat32(t))).toEqual(Array.from(Float32Array.from(expected)));
    });
    it(`${c.name} from typed fields`, () => {
      const t = throughFile(typedTensor(c.type, c.values));
      expect(t.rawData).toBeUndefined();
      expect(Array.from(tensorToFloat32(t))).toEqual(Array.from(Float32Array.from(expected)));
    });
  }

  it('packs INT4 two per byte, low nibble first, and sign-extends on read', () => {
    const t = makeTensor('w', DataType.INT4, [3], [-8, 7, -1]);
    // -8 -> 0x8 (low), 7 -> 0x7 (high): 0x78; -1 -> 0xF in the low nibble of the last byte.
    expect(Array.from(t.rawData!)).toEqual([0x78, 0x0f]);
    expect(Array.from(tensorToArray(t) as Int8Array)).toEqual([-8, 7, -1]);
    expect(tensorToArray(t)).toBeInstanceOf(Int8Array);
    expect(() => makeTensor('w', DataType.INT4, [1], [8])).toThrow(RangeError);
    expect(() => makeTensor('w', DataType.UINT4, [1], [-1])).toThrow(RangeError);
  });

  it('keeps INT64 exact beyond 2^53 as BigInt64Array', () => {
    const t = throughFile(makeTensor('big', DataType.INT64, [2], [2n ** 62n + 1n, -(2n ** 63n)]));
    expect(tensorToArray(t)).toEqual(BigInt64Array.of(2n ** 62n + 1n, -(2n ** 63n)));
  });

  it('decodes raw_data at an odd byte offset', () => {
    const buffer = new Uint8Array(9);
    buffer.set(new Uint8Array(Float32Array.of(1, 2).buffer), 1);
    const t: TensorProto = {
      name: 'odd',
      dataType: DataType.FLOAT,
      dims: [2],
      rawData: buffer.subarray(1),
    };
    expect(Array.from(tensorToFloat32(t))).toEqual([1, 2]);
  });

  it('rejects data whose size does not match dims', () => {
    const t = makeTensor('t', DataType.FLOAT, [2], [1, 2]);
    expect(() => tensorToFloat32({ ...t, dims: [3] })).toThrow(/raw_data.*expected 12/);
  });
});
