// Issue #12: weight layers inside If branches and Loop bodies. Their weights (a main-graph
// initializer, a Constant node in a branch, an initializer of a Loop body) are quantized per
// channel with the main graph's layers that are not factorized; the written model loads and runs
// in onnxruntime on inputs that take both branches, next to the original.
import { describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/core/kernels/js.ts';
import {
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import { compressModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { buildReferenceModel } from '../../src/core/rewrite/compressModel.ts';
import { randomArray, runModel } from './helpers.ts';

const F = DataType.FLOAT;
const HW = [1, 16, 6, 6];

/**
 * x -> main conv (factorizable) -> Relu -> If (sum(x) > 0: conv with a main-graph weight; else a
 * 1x1 conv whose weight is a Constant node of the branch) -> Loop x2 (MatMul by a body weight,
 * Relu) -> y.
 */
function subgraphModel(): OnnxModel {
  const thenBranch = makeGraph({
    name: 'then',
    nodes: [
      makeNode(
        'Conv',
        ['r', 'w_then'],
        ['ht'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv_then' },
      ),
    ],
    inputs: [],
    outputs: [makeValueInfo('ht', F, HW)],
  });
  const wElse = makeTensor('w_else_value', F, [16, 16, 1, 1], randomArray(256, 3));
  const elseBranch = makeGraph({
    name: 'else',
    nodes: [
      {
        opType: 'Constant',
        name: 'w_else_const',
        input: [],
        output: ['w_else'],
        attribute: [makeAttribute('value', wElse)],
      },
      makeNode('Conv', ['r', 'w_else'], ['he'], { kernel_shape: [1, 1] }, { name: 'conv_else' }),
    ],
    inputs: [],
    outputs: [makeValueInfo('he', F, HW)],
  });
  const body = makeGraph({
    name: 'body',
    nodes: [
      makeNode('MatMul', ['v', 'w_loop'], ['t'], {}, { name: 'matmul_loop' }),
      makeNode('Relu', ['t'], ['vo']),
      makeNode('Identity', ['ci'], ['co']),
    ],
    inputs: [
      makeValueInfo('i', DataType.INT64, []),
      makeValueInfo('ci', DataType.BOOL, []),
      makeValueInfo('v', F, HW),
    ],
    outputs: [makeValueInfo('co', DataType.BOOL, []), makeValueInfo('vo', F, HW)],
    initializers: [makeTensor('w_loop', F, [6, 6], randomArray(36, 4, 0.4))],
  });
  return makeModel(
    makeGraph({
      nodes: [
        makeNode(
          'Conv',
          ['x', 'w0'],
          ['c0'],
          { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
          { name: 'conv_main' },
        ),
        makeNode('Relu', ['c0'], ['r']),
        makeNode('ReduceSum', ['x'], ['s'], { keepdims: 0 }),
        makeNode('Greater', ['s', 'zero'], ['cond']),
        makeNode(
          'If',
          ['cond'],
          ['h'],
          { then_branch: thenBranch, else_branch: elseBranch },
          { name: 'if' },
        ),
        makeNode('Loop', ['trips', 'go', 'h'], ['y'], { body }, { name: 'loop' }),
      ],
      inputs: [makeValueInfo('x', F, HW)],
      outputs: [makeValueInfo('y', F, HW)],
      initializers: [
        makeTensor('w0', F, [16, 16, 3, 3], randomArray(2304, 1, 0.2)),
        makeTensor('w_then', F, [16, 16, 3, 3], randomArray(2304, 2, 0.2)),
        makeTensor('zero', F, [], [0]),
        makeTensor('trips', DataType.INT64, [], [2]),
        makeTensor('go', DataType.BOOL, [], [1]),
      ],
    }),
    { opset: 13 },
  );
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

describe('layers inside If branches and Loop bodies', () => {
  it('are listed, quantized per channel, and the written model runs both branches', async () => {
    const original = writeModel(subgraphModel());
    const prepared = await prepareModel(original);
    expect(prepared.layers.map((l) => [l.name, l.factorizable])).toEqual([['conv_main', true]]);
    expect(prepared.skipped.map((s) => [s.name, s.where, s.reason])).toEqual(
      [
        ['conv_then', 'inside If branch then_branch'],
        ['conv_else', 'inside If branch else_branch'],
        ['matmul_loop', 'inside Loop body'],
      ].map(([n, w]) => [
        n,
        w,
        expect.stringMatching(
          new RegExp(`^${w}: not factorized \\(layers in subgraphs are quantized only`),
        ),
      ]),
    );

    const out = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: { settings: { method: 'admm', rate: 2, bits: 8, preset: 'default', seed: 0 } },
    });
    expect(out.check).not.toBeNull();
    expect(out.report.notes.join('\n')).toMatch(
      /3 layers quantized only, 8-bit per channel, not factorized \(inside If\/Loop\/Scan bodies, ConvTranspose, LSTM\/GRU\/RNN; 2596 weights, 2\.7 KiB instead of 10\.1 KiB, not in the layer totals\): conv_then \(inside If branch then_branch\)/,
    );
    // Every body weight is now codes feeding a DequantizeLinear; no float copy is left.
    const written = readModel(out.bytes);
    const floats = new Set(
      [...(written.graph.initializer ?? [])].filter((t) => t.dataType === F).map((t) => t.name),
    );
    expect(floats.has('w_then')).toBe(false);
    const [ifNode, loopNode] = ['If', 'Loop'].map((op) =>
      written.graph.node?.find((n) => n.opType === op),
    );
    const sub = (n: typeof ifNode, name: string) => n?.attribute?.find((a) => a.name === name)?.g;
    expect(sub(ifNode, 'else_branch')?.node?.map((n) => n.opType)).toEqual([
      'DequantizeLinear',
      'Conv',
    ]);
    expect(sub(loopNode, 'body')?.node?.[0].opType).toBe('DequantizeLinear');
    expect(written.graph.node?.[0].opType).toBe('DequantizeLinear');

    // Both branches: sum(x) > 0 takes then_branch, its negation else_branch.
    const reference = writeModel(
      buildReferenceModel(prepared.model, prepared.layers, out.results, { kernels: jsKernels }),
    );
    const ptq = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: { settings: { method: 'ptq', bits: 8, perChannel: true } },
    });
    const x = Float32Array.from(randomArray(576, 9), (v) => v + 0.05);
    for (const input of [x, x.map((v) => -v)]) {
      const [a, b, c, d] = await Promise.all(
        [original, out.bytes, reference, ptq.bytes].map((m) => runModel(m, input, HW)),
      );
      // The float reference computes what the written model computes, bodies included.
      expect(relativeL2(b, c)).toBeLessThan(1e-4);
      // 8 bits everywhere, bodies included: close to the original, and not equal to it.
      expect(relativeL2(d, a)).toBeGreaterThan(0);
      expect(relativeL2(d, a)).toBeLessThan(0.03);
    }
  }, 20_000);
});
