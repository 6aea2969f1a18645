// The rewrite fed by the real engine (compressLayer), on models made with the ONNX writer.
import { describe, expect, it } from 'vitest';
import { compressLayer } from '../../src/core/factor/compressLayer.ts';
import type { CompressMethod, LayerResult } from '../../src/core/factor/types.ts';
import { jsKernels } from '../../src/core/kernels/index.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { discoverLayers } from '../../src/core/onnx/layers.ts';
import { inferShapes } from '../../src/core/onnx/shapes/inferShapes.ts';
import { tensorToFloat32 } from '../../src/core/onnx/tensor.ts';
import { DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import { buildCompressedModel, buildReferenceModel } from '../../src/core/rewrite/compressModel.ts';
import { maxRelativeDiff, randomArray, runModel } from './helpers.ts';

const F = DataType.FLOAT;

// x [N,64] -> Gemm transB=1 64->48 (+bias) -> Relu -> MatMul 48->24 -> Relu -> Gemm 24->10
function gemmOnlyModel(): OnnxModel {
  const graph = makeGraph({
    nodes: [
      makeNode('Gemm', ['x', 'w1', 'b1'], ['h1'], { transB: 1 }, { name: 'fc1' }),
      makeNode('Relu', ['h1'], ['r1']),
      makeNode('MatMul', ['r1', 'w2'], ['h2'], {}, { name: 'mm2' }),
      makeNode('Relu', ['h2'], ['r2']),
      makeNode('Gemm', ['r2', 'w3', 'b3'], ['y'], {}, { name: 'fc3' }),
    ],
    inputs: [makeValueInfo('x', F, ['N', 64])],
    outputs: [makeValueInfo('y', F, ['N', 10])],
    initializers: [
      makeTensor('w1', F, [48, 64], randomArray(48 * 64, 1, 0.2)),
      makeTensor('b1', F, [48], randomArray(48, 2, 0.1)),
      makeTensor('w2', F, [48, 24], randomArray(48 * 24, 3, 0.2)),
      makeTensor('w3', F, [24, 10], randomArray(240, 4, 0.3)),
      makeTensor('b3', F, [10], randomArray(10, 5, 0.1)),
    ],
  });
  return makeModel(graph, { opset: 13 });
}

// x [N,8,12,12] -> Conv 3x3 8->16 stride 2 -> Relu -> Conv 3x3 16->16 -> GAP -> Flatten
function convModel(): OnnxModel {
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['x', 'w1', 'b1'],
        ['c1'],
        { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
        { name: 'conv1' },
      ),
      makeNode('Relu', ['c1'], ['r1']),
      makeNode(
        'Conv',
        ['r1', 'w2'],
        ['c2'],
        { kernel_shape: [3, 3], auto_pad: 'SAME_UPPER' },
        { name: 'conv2' },
      ),
      makeNode('GlobalAveragePool', ['c2'], ['p']),
      makeNode('Flatten', ['p'], ['y']),
    ],
    inputs: [makeValueInfo('x', F, ['N', 8, 12, 12])],
    outputs: [makeValueInfo('y', F, ['N', 16])],
    initializers: [
      makeTensor('w1', F, [16, 8, 3, 3], randomArray(16 * 72, 6, 0.2)),
      makeTensor('b1', F, [16], randomArray(16, 7, 0.1)),
      makeTensor('w2', F, [16, 16, 3, 3], randomArray(16 * 144, 8, 0.2)),
    ],
  });
  return makeModel(graph, { opset: 13 });
}

function compressAll(model: OnnxModel, inputShape: number[], method: CompressMethod, bits: number) {
  const layers = discoverLayers(model, inferShapes(model, { inputShapes: { x: inputShape } }));
  const results: LayerResult[] = layers.map((l) => {
    const t = model.graph.initializer?.find((x) => x.name === l.weightName);
    if (!t) throw new Error(l.weightName);
    const job = {
      name: l.name,
      weight: tensorToFloat32(t),
      shape: l.weightShape,
      method,
      rate: 2,
      bits,
    };
    return compressLayer(jsKernels, job);
  });
  return { layers, results };
}

async function expectEquivalent(
  model: OnnxModel,
  inputShape: number[],
  method: CompressMethod,
  bits: number,
) {
  const { layers, results } = compressAll(model, [1, ...inputShape.slice(1)], method, bits);
  const out = await buildCompressedModel(model, layers, results);
  const ref = buildReferenceModel(model, layers, results);
  const n = inputShape.reduce((a, b) => a * b, 1);
  const x = randomArray(n, 42);
  const [y, yRef] = await Promise.all([
    runModel(out.bytes, x, inputShape),
    runModel(ref, x, inputShape),
  ]);
  expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
  return { out, results };
}

describe('rewrite of engine results', () => {
  it('Gemm-only model: ADMM 4-bit factors give two Gemm/MatMul per layer and equal the reference', async () => {
    const { out, results } = await expectEquivalent(gemmOnlyModel(), [7, 64], 'admm', 4);
    expect(results.map((r) => r.factors.length)).toEqual([2, 2, 2]);
    const kinds = (out.model.graph.node ?? [])
      .map((n) => n.opType)
      .filter((o) => o !== 'DequantizeLinear');
    expect(kinds).toEqual(['Gemm', 'Gemm', 'Relu', 'MatMul', 'MatMul', 'Relu', 'Gemm', 'Gemm']);
  });

  it('conv model: ADMM 4-bit (stride 2, SAME_UPPER) equals the reference', async () => {
    await expectEquivalent(convModel(), [3, 8, 12, 12], 'admm', 4);
  });

  it('conv model: FTQ 6-bit in INT8 containers and float CP', async () => {
    const { out } = await expectEquivalent(convModel(), [2, 8, 12, 12], 'ftq', 6);
    const types = new Set((out.model.graph.initializer ?? []).map((t) => t.dataType));
    expect(types.has(DataType.INT8)).toBe(true);
    expect(types.has(DataType.INT4)).toBe(false);
    await expectEquivalent(convModel(), [2, 8, 12, 12], 'cp', 4);
  });
});
