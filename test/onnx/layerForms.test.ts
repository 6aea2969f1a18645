// Issue #12 item 2, "every compressible kind": 1-D convs with dilation, stride and auto_pad SAME,
// a 1x1 conv, Gemm (transB) and MatMul are discovered with their window parameters, factorized
// (QAF r2, 8-bit factors) and written as a model that loads and runs in onnxruntime-web and
// computes nearly what the original computes (a wrong pad, stride or dilation would not).
import { describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/core/kernels/js.ts';
import {
  type AttributeValue,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { compressModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { randomArray, runModel } from '../rewrite/helpers.ts';

const F = DataType.FLOAT;

/** A rank-2 CP tensor [dims...] (exactly representable at rate 2), scaled to unit-ish values. */
function lowRank(dims: number[], seed: number): Float32Array {
  const rank = 2;
  const factors = dims.map((d, m) => randomArray(d * rank, seed + m));
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let rest = i;
    const idx = dims.map(() => 0);
    for (let m = dims.length - 1; m >= 0; m--) {
      idx[m] = rest % dims[m];
      rest = Math.floor(rest / dims[m]);
    }
    let v = 0;
    for (let r = 0; r < rank; r++) {
      let p = 1;
      for (let m = 0; m < dims.length; m++) p *= factors[m][idx[m] * rank + r];
      v += p;
    }
    out[i] = v;
  }
  return out;
}

function relativeL2(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

function audioModel(): Uint8Array {
  const conv = (
    name: string,
    x: string,
    w: string,
    y: string,
    attrs: Record<string, AttributeValue>,
  ) => makeNode('Conv', [x, w, `${w}_b`], [y], attrs, { name });
  const nodes = [
    conv('dilated', 'x', 'w1', 'c1', { kernel_shape: [5], dilations: [2], pads: [4, 4] }),
    makeNode('Relu', ['c1'], ['r1']),
    conv('strided_same', 'r1', 'w2', 'c2', {
      kernel_shape: [3],
      strides: [2],
      auto_pad: 'SAME_UPPER',
    }),
    makeNode('Relu', ['c2'], ['r2']),
    conv('pointwise', 'r2', 'w3', 'c3', { kernel_shape: [1] }),
    makeNode('GlobalAveragePool', ['c3'], ['p']),
    makeNode('Flatten', ['p'], ['f']),
    makeNode('Gemm', ['f', 'w4', 'w4_b'], ['g'], { transB: 1 }, { name: 'gemm' }),
    makeNode('MatMul', ['g', 'w5'], ['y'], {}, { name: 'matmul' }),
  ];
  const weights: [string, number[]][] = [
    ['w1', [32, 16, 5]],
    ['w2', [32, 32, 3]],
    ['w3', [40, 32, 1]],
    ['w4', [48, 40]],
    ['w5', [48, 36]],
  ];
  const initializers = weights.flatMap(([name, dims], i) => {
    const t = makeTensor(
      name,
      F,
      dims,
      lowRank(
        dims.filter((d) => d > 1),
        10 * i + 1,
      ),
    );
    const bias =
      name === 'w5' ? [] : [makeTensor(`${name}_b`, F, [dims[0]], randomArray(dims[0], i))];
    return [t, ...bias];
  });
  return writeModel(
    makeModel(
      makeGraph({
        nodes,
        inputs: [makeValueInfo('x', F, [1, 16, 64])],
        outputs: [makeValueInfo('y', F, [1, 36])],
        initializers,
      }),
      { opset: 13 },
    ),
  );
}

describe('layer forms: 1-D convs (dilation, stride, SAME), 1x1, Gemm, MatMul', () => {
  it('are discovered, factorized and written as a model that computes nearly the same', async () => {
    const original = audioModel();
    const prepared = await prepareModel(original);
    const byName = new Map(prepared.layers.map((l) => [l.name, l]));
    expect(prepared.layers.map((l) => [l.name, l.factorizable])).toEqual([
      ['dilated', true],
      ['strided_same', true],
      ['pointwise', true],
      ['gemm', true],
      ['matmul', true],
    ]);
    expect(byName.get('dilated')).toMatchObject({ kernel: [5], dilations: [2], pads: [4, 4] });
    // SAME_UPPER on 64 samples at stride 2 with a 3-tap kernel: 1 pad at the end only.
    expect(byName.get('strided_same')).toMatchObject({ strides: [2], pads: [0, 1] });
    expect(byName.get('strided_same')?.outputShape).toEqual([1, 32, 32]);
    expect(byName.get('dilated')?.reason).toMatch(/3-way/);
    expect(byName.get('pointwise')?.reason).toMatch(/2-way/);

    const out = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: { settings: { method: 'admm', rate: 2, bits: 8, preset: 'default', seed: 0 } },
    });
    expect(out.results.map((r) => [r.name, r.factors.length])).toEqual([
      ['dilated', 3],
      ['strided_same', 3],
      ['pointwise', 2],
      ['gemm', 2],
      ['matmul', 2],
    ]);
    expect(out.check).not.toBeNull();
    const x = randomArray(16 * 64, 7);
    const [a, b] = await Promise.all([
      runModel(original, x, [1, 16, 64]),
      runModel(out.bytes, x, [1, 16, 64]),
    ]);
    expect(b).toHaveLength(36);
    expect(relativeL2(b, a)).toBeLessThan(0.05);
  }, 20_000);
});
