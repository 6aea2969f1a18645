// Per-component QAF scales as written: one per-axis DequantizeLinear (along the rank) on the
// factor a layer applies first, per-tensor scale 1 on the others; onnxruntime runs the model and
// matches the reconstruction of the factors as solved.
import { describe, expect, it } from 'vitest';
import { floatValues } from '../../src/core/calibrate/tensorData.ts';
import { computeCosts } from '../../src/core/cost/costModel.ts';
import { compressLayer } from '../../src/core/factor/index.ts';
import type { LayerResult } from '../../src/core/factor/types.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import { buildCompressedModel, buildReferenceModel } from '../../src/core/rewrite/compressModel.ts';
import type { RewriteLayer } from '../../src/core/rewrite/types.ts';
import { maxRelativeDiff, randomArray, runModel } from './helpers.ts';

const F = DataType.FLOAT;
const kernels = await loadKernels();

// x [N,4,8,8] -> Conv 3x3 4->6 pad 1 -> GAP -> Flatten -> Gemm 6->16 (transB=1) -> Gemm 16->12
// (transB=0) -> MatMul 12->8
function model(): { model: OnnxModel; layers: RewriteLayer[] } {
  const w = {
    w1: { dims: [6, 4, 3, 3], v: randomArray(216, 31, 0.3) },
    g1: { dims: [16, 6], v: randomArray(96, 32) },
    g2: { dims: [16, 12], v: randomArray(192, 33) },
    m3: { dims: [12, 8], v: randomArray(96, 34) },
  };
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['x', 'w1'],
        ['c1'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv' },
      ),
      makeNode('GlobalAveragePool', ['c1'], ['p'], {}, { name: 'gap' }),
      makeNode('Flatten', ['p'], ['f'], {}, { name: 'flat' }),
      makeNode('Gemm', ['f', 'g1'], ['h1'], { transB: 1 }, { name: 'fc1' }),
      makeNode('Gemm', ['h1', 'g2'], ['h2'], {}, { name: 'fc2' }),
      makeNode('MatMul', ['h2', 'm3'], ['y'], {}, { name: 'mm' }),
    ],
    inputs: [makeValueInfo('x', F, ['N', 4, 8, 8])],
    outputs: [makeValueInfo('y', F, ['N', 8])],
    initializers: Object.entries(w).map(([n, t]) => makeTensor(n, F, t.dims, t.v)),
  });
  const layer = (name: string, nodeIndex: number, op: string, weightName: keyof typeof w) => ({
    name,
    nodeIndex,
    op,
    weightName,
    weightShape: w[weightName].dims,
    macs: 1,
    ...(op === 'Conv' && { inputShape: [1, 4, 8, 8], outputShape: [1, 6, 8, 8], group: 1 }),
  });
  return {
    model: makeModel(graph, { opset: 13 }),
    layers: [
      layer('conv', 0, 'Conv', 'w1'),
      layer('fc1', 3, 'Gemm', 'g1'),
      layer('fc2', 4, 'Gemm', 'g2'),
      layer('mm', 5, 'MatMul', 'm3'),
    ] as RewriteLayer[],
  };
}

describe('per-component scales in the written model', () => {
  const { model: m, layers } = model();
  const results: LayerResult[] = layers.map((l) => {
    const weight = floatValues(m.graph.initializer!.find((t) => t.name === l.weightName)!);
    const job = {
      name: l.name,
      weight,
      shape: [...l.weightShape],
      method: 'admm' as const,
      rank: 3,
      bits: 4,
    };
    return { ...compressLayer(kernels, { ...job, scales: 'component' }), name: l.name };
  });

  it('runs in onnxruntime and computes what the factors reconstruct', async () => {
    for (const r of results)
      expect(r.factors.every((f) => f.columnScales?.length === 3)).toBe(true);
    const out = await buildCompressedModel(m, layers, results);
    const ref = buildReferenceModel(m, layers, results);
    const x = randomArray(2 * 4 * 64, 35);
    const [y, yRef] = await Promise.all([
      runModel(out.bytes, x, [2, 4, 8, 8]),
      runModel(ref, x, [2, 4, 8, 8]),
    ]);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
    // Per layer one DequantizeLinear with an axis and 3 scales (the rank), on the first factor;
    // the others per tensor.
    const inits = new Map((out.model.graph.initializer ?? []).map((t) => [t.name, t]));
    const dq = (out.model.graph.node ?? []).filter((n) => n.opType === 'DequantizeLinear');
    const perAxis = dq.filter((n) => n.attribute?.some((a) => a.name === 'axis'));
    expect(dq).toHaveLength(3 + 2 + 2 + 2);
    expect(perAxis.map((n) => floatValues(inits.get(n.input![1])!).length)).toEqual([3, 3, 3, 3]);
    const firstWeights = ['conv_cp_in_w', 'fc1_cp_in_w', 'fc2_cp_in_w', 'mm_cp_in_w'];
    expect(perAxis.map((n) => firstWeights.some((w) => n.name!.startsWith(w)))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    for (const n of dq.filter((d) => !perAxis.includes(d))) {
      expect(Array.from(floatValues(inits.get(n.input![1])!))).toEqual([1]);
    }
    // The cost model counts exactly the scales written.
    const written = dq.reduce((s, n) => s + 4 * floatValues(inits.get(n.input![1])!).length, 0);
    const choices = Object.fromEntries(
      results.map((r) => [
        r.name,
        { method: r.method, rank: r.rank, bits: r.bits, scales: 'component' as const },
      ]),
    );
    expect(computeCosts(layers, choices).totals.scaleBytes).toBe(written);
  });
});
