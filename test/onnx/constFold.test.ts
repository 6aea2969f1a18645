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

  it('dequantizes blocked INT4 codes (block_size, opset 21) with per-block scales and zero points', () => {
    // x [2, 5], blocks of 2 along axis 1: scale [2, 3] (the last block has one element).
    const codes = [-8, -1, 0, 3, 7, 1, 2, -3, -4, 5];
    const scales = [0.5, 0.25, 2, 1, 0.125, 4];
    const zeros = [1, 0, -1, 0, 2, -2];
    const dq = makeNode('DequantizeLinear', ['q', 's', 'z'], ['w'], { axis: 1, block_size: 2 });
    const x = t([2, 5], codes, DataType.INT4);
    const out = foldNode(dq, [x, t([2, 3], scales), t([2, 3], zeros, DataType.INT4)], 'w')!;
    const want = codes.map((q, i) => {
      const b = Math.floor(i / 5) * 3 + Math.floor((i % 5) / 2);
      return (q - zeros[b]) * scales[b];
    });
    expect(out.dims).toEqual([2, 5]);
    expect(Array.from(tensorToFloat32(out))).toEqual(want);
    // Scales whose shape does not match the blocks are left for onnxruntime to judge.
    expect(foldNode(dq, [x, t([2, 2], scales.slice(0, 4))], 'w')).toBeNull();
  });
});
