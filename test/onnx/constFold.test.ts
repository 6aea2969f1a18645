// foldNode: the constant ops between a stored tensor and a layer, against plain JS.
import { describe, expect, it } from 'vitest';
import { makeNode, makeTensor } from '../../src/core/onnx/builders.ts';
import { broadcastDims, foldNode } from '../../src/core/onnx/constFold.ts';
import { tensorToArray, tensorToFloat32 } from '../../src/core/onnx/tensor.ts';
import { DataType } from '../../src/core/onnx/types.ts';

const F = DataType.FLOAT;
const t = (dims: number[], values: number[], type: number = F) =>
  makeTensor('t', type, dims, values);

describe('foldNode', () => {
  it('moves elements for Squeeze, Unsqueeze (attribute and input forms) and Flatten', () => {
    const x = t([1, 2, 1, 3], [1, 2, 3, 4, 5, 6]);
    expect(foldNode(makeNode('Squeeze', ['a'], ['b']), [x], 'b')?.dims).toEqual([2, 3]);
    const axes = t([1], [-2], DataType.INT64);
    expect(foldNode(makeNode('Squeeze', ['a', 'ax'], ['b']), [x, axes], 'b')?.dims).toEqual([
      1, 2, 3,
    ]);
    const u = foldNode(
      makeNode('Unsqueeze', ['a'], ['b'], { axes: [0, 3] }),
      [t([2, 3], [1, 2, 3, 4, 5, 6])],
      'b',
    );
    expect(u?.dims).toEqual([1, 2, 3, 1]);
    const f = foldNode(makeNode('Flatten', ['a'], ['b'], { axis: 2 }), [x], 'b');
    expect(f?.dims).toEqual([2, 3]);
    expect(Array.from(tensorToFloat32(f!))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('computes Mul, Div, Add, Sub with numpy broadcasting in float32', () => {
    const a = t([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = t([3], [0.5, 3, -1]);
    const mul = foldNode(makeNode('Mul', ['a', 'b'], ['c']), [a, b], 'c')!;
    expect(Array.from(tensorToFloat32(mul))).toEqual([0.5, 6, -3, 2, 15, -6]);
    const div = foldNode(makeNode('Div', ['a', 'b'], ['c']), [a, t([2, 1], [3, 7])], 'c')!;
    expect(Array.from(tensorToFloat32(div))).toEqual(
      [1, 2, 3, 4, 5, 6].map((v, i) => Math.fround(v / (i < 3 ? 3 : 7))),
    );
    const sub = foldNode(makeNode('Sub', ['a', 'b'], ['c']), [t([], [1]), b], 'c')!;
    expect(Array.from(tensorToFloat32(sub))).toEqual([0.5, -2, 2]);
    expect(broadcastDims([2, 3], [4])).toBeNull();
    expect(foldNode(makeNode('Add', ['a', 'b'], ['c']), [a, t([4], [1, 2, 3, 4])], 'c')).toBeNull();
  });

  it('casts float16 to float32 and float to int64 by truncation; refuses unknown ops', () => {
    const half = t([3], [0.5, -1.25, 3], DataType.FLOAT16);
    const f32 = foldNode(makeNode('Cast', ['a'], ['b'], { to: F }), [half], 'b')!;
    expect(f32.dataType).toBe(F);
    expect(Array.from(tensorToFloat32(f32))).toEqual([0.5, -1.25, 3]);
    const i64 = foldNode(
      makeNode('Cast', ['a'], ['b'], { to: DataType.INT64 }),
      [t([3], [1.7, -1.7, 2])],
      'b',
    )!;
    expect(Array.from(tensorToArray(i64) as BigInt64Array, Number)).toEqual([1, -1, 2]);
    expect(foldNode(makeNode('Relu', ['a'], ['b']), [t([1], [1])], 'b')).toBeNull();
  });
});
