// normalizeModel: weights in Constant nodes and constant chains become initializers, per-channel
// affine maps after a layer are folded into it, and the normalised graph computes what the
// original computes (both run in onnxruntime-web).
import { describe, expect, it } from 'vitest';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { inferShapes } from '../../src/core/onnx/index.ts';
import { noLayerMessage, SUBGRAPH_QUANTIZED } from '../../src/core/onnx/layerCensus.ts';
import { layerCensus } from '../../src/core/onnx/layers.ts';
import { normalizeModel } from '../../src/core/onnx/normalize.ts';
import { DataType, type NodeProto, type OnnxModel } from '../../src/core/onnx/types.ts';
import { maxRelativeDiff, randomArray, runModel } from '../rewrite/helpers.ts';

const F = DataType.FLOAT;

function constant(
  name: string,
  dims: number[],
  values: ArrayLike<number>,
  type: number = F,
): NodeProto {
  return makeNode('Constant', [], [name], { value: makeTensor(name, type, dims, values) });
}

function bn(input: string, output: string, c: number, seed: number): NodeProto[] {
  const positive = Float32Array.from(randomArray(c, seed + 3), (v) => 0.5 + Math.abs(v));
  return [
    constant(`${output}_g`, [c], randomArray(c, seed, 2)),
    constant(`${output}_b`, [c], randomArray(c, seed + 1)),
    constant(`${output}_m`, [c], randomArray(c, seed + 2)),
    constant(`${output}_v`, [c], positive),
    makeNode(
      'BatchNormalization',
      [input, `${output}_g`, `${output}_b`, `${output}_m`, `${output}_v`],
      [output],
      { epsilon: 1e-5 },
    ),
  ];
}

async function sameFunction(model: OnnxModel, dims: number[], seed = 9) {
  const { model: normalized, notes } = normalizeModel(model);
  const x = randomArray(
    dims.reduce((a, b) => a * b, 1),
    seed,
  );
  const [a, b] = await Promise.all([runModel(model, x, dims), runModel(normalized, x, dims)]);
  return { normalized, notes, diff: maxRelativeDiff(b, a) };
}

function opTypes(model: OnnxModel): string[] {
  return (model.graph.node ?? []).map((n) => n.opType ?? '');
}

describe('normalizeModel', () => {
  it('reads Constant weights, folds BatchNorm, Mul and Add into the conv before them', async () => {
    const nodes = [
      constant('w', [6, 4, 3, 3], randomArray(216, 1, 0.3)),
      makeNode('Conv', ['x', 'w'], ['c'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      ...bn('c', 'n', 6, 5),
      constant('s', [1], [0.7]),
      makeNode('Mul', ['s', 'n'], ['m']),
      constant('t', [1, 6, 1, 1], randomArray(6, 8)),
      makeNode('Add', ['m', 't'], ['y']),
    ];
    const model = makeModel(
      makeGraph({
        nodes,
        inputs: [makeValueInfo('x', F, [1, 4, 5, 5])],
        outputs: [makeValueInfo('y', F, [1, 6, 5, 5])],
      }),
      { opset: 11, irVersion: 6 },
    );
    const { normalized, notes, diff } = await sameFunction(model, [1, 4, 5, 5]);
    expect(diff).toBeLessThan(1e-5);
    expect(opTypes(normalized)).toEqual(['Conv']);
    expect(normalized.graph.node?.[0].output).toEqual(['y']);
    expect(notes.join('; ')).toMatch(/7 Constant nodes.*1 BatchNormalization.*2 per-channel/);
    // A second pass finds nothing to do and returns the same object.
    const again = normalizeModel(normalized);
    expect(again.notes).toEqual([]);
    expect(again.model).toBe(normalized);
  });

  it('computes Cast, DequantizeLinear, Reshape and Transpose chains that end in a weight', async () => {
    const w16 = randomArray(6 * 4, 2);
    const codes = Int8Array.from(randomArray(6 * 4, 3), (v) => Math.round(v * 100));
    const scales = Float32Array.from({ length: 6 }, (_, i) => 0.01 * (i + 1));
    const nodes = [
      makeNode('Cast', ['w16'], ['w32'], { to: F }),
      makeNode('Reshape', ['w32', 'shape'], ['w2d']),
      makeNode('Transpose', ['w2d'], ['wt'], { perm: [1, 0] }),
      makeNode('Gemm', ['x', 'wt'], ['g']),
      makeNode('DequantizeLinear', ['q', 'qs'], ['wq'], { axis: 0 }),
      makeNode('Gemm', ['g', 'wq'], ['y'], { transB: 1 }),
    ];
    const model = makeModel(
      makeGraph({
        nodes,
        inputs: [makeValueInfo('x', F, [2, 4])],
        outputs: [makeValueInfo('y', F, [2, 6])],
        initializers: [
          makeTensor('w16', DataType.FLOAT16, [24], w16),
          makeTensor('shape', DataType.INT64, [2], [6, 4]),
          makeTensor('q', DataType.INT8, [6, 6], [...codes, ...codes.slice(0, 12)]),
          makeTensor('qs', F, [6], scales),
        ],
      }),
      { opset: 13 },
    );
    const { normalized, diff } = await sameFunction(model, [2, 4]);
    expect(diff).toBeLessThan(1e-6);
    expect(opTypes(normalized)).toEqual(['Gemm', 'Gemm']);
    const census = layerCensus(normalized, inferShapes(normalized));
    expect(census.layers.map((l) => l.weightShape)).toEqual([
      [4, 6],
      [6, 6],
    ]);
  });

  it('folds BatchNorm into Gemm (both weight layouts), a grouped ConvTranspose and MatMul scales', async () => {
    const nodes = [
      makeNode('Gemm', ['x', 'w1'], ['g1']),
      ...bn('g1', 'b1', 6, 11),
      makeNode('Gemm', ['b1', 'w2', 'c2'], ['g2'], { transB: 1, beta: 0.5 }),
      ...bn('g2', 'b2', 4, 21),
      makeNode('MatMul', ['b2', 'w3'], ['g3']),
      makeNode('Mul', ['g3', 's3'], ['y0']),
      makeNode('Reshape', ['y0', 'to4d'], ['r']),
      makeNode('ConvTranspose', ['r', 'wt'], ['ct'], {
        kernel_shape: [2, 2],
        strides: [2, 2],
        group: 2,
      }),
      ...bn('ct', 'y', 6, 31),
    ];
    const model = makeModel(
      makeGraph({
        nodes,
        inputs: [makeValueInfo('x', F, [3, 5])],
        outputs: [makeValueInfo('y', F)],
        initializers: [
          makeTensor('w1', F, [5, 6], randomArray(30, 1)),
          makeTensor('w2', F, [4, 6], randomArray(24, 2)),
          makeTensor('c2', F, [4], randomArray(4, 3)),
          makeTensor('w3', F, [4, 8], randomArray(32, 4)),
          makeTensor('s3', F, [8], randomArray(8, 5, 2)),
          makeTensor('to4d', DataType.INT64, [4], [3, 8, 1, 1]),
          makeTensor('wt', F, [8, 3, 2, 2], randomArray(96, 6)),
        ],
      }),
      { opset: 13 },
    );
    const { normalized, notes, diff } = await sameFunction(model, [3, 5]);
    expect(diff).toBeLessThan(1e-5);
    expect(opTypes(normalized)).toEqual(['Gemm', 'Gemm', 'MatMul', 'Reshape', 'ConvTranspose']);
    expect(notes.join('; ')).toMatch(/3 BatchNormalizations.*1 per-channel/);
  });

  it('leaves a model whose weights are plain initializers as it is (same object)', () => {
    const model = makeModel(
      makeGraph({
        nodes: [
          makeNode('Conv', ['x', 'w'], ['c'], { kernel_shape: [1, 1] }),
          constant('shape', [2], [1, -1], DataType.INT64),
          makeNode('Reshape', ['c', 'shape'], ['y']),
        ],
        inputs: [makeValueInfo('x', F, [1, 4, 2, 2])],
        outputs: [makeValueInfo('y', F, [1, 8])],
        initializers: [makeTensor('w', F, [2, 4, 1, 1], randomArray(8, 1))],
      }),
      { opset: 13 },
    );
    const { model: out, notes } = normalizeModel(model);
    expect(notes).toEqual([]);
    expect(out).toBe(model);
  });

  it('leaves an affine map alone when the layer output has another reader', async () => {
    const model = makeModel(
      makeGraph({
        nodes: [
          makeNode('Gemm', ['x', 'w'], ['g']),
          makeNode('Mul', ['g', 's'], ['m']),
          makeNode('Add', ['g', 'm'], ['y']),
        ],
        inputs: [makeValueInfo('x', F, [2, 3])],
        outputs: [makeValueInfo('y', F, [2, 4])],
        initializers: [
          makeTensor('w', F, [3, 4], randomArray(12, 1)),
          makeTensor('s', F, [4], randomArray(4, 2)),
        ],
      }),
      { opset: 13 },
    );
    const { model: out, notes } = normalizeModel(model);
    expect(notes).toEqual([]);
    expect(out).toBe(model);
  });
});

describe('layerCensus', () => {
  it('names every weight node it does not compress, with the reason', () => {
    const branch = (name: string) =>
      makeGraph({
        name,
        nodes: [
          makeNode(
            'Conv',
            ['x', 'wb'],
            [`${name}_y`],
            { kernel_shape: [1, 1] },
            { name: `conv_${name}` },
          ),
        ],
        inputs: [],
        outputs: [makeValueInfo(`${name}_y`, F)],
      });
    const nodes = [
      makeNode(
        'Conv',
        ['x', 'w'],
        ['a'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'ok' },
      ),
      makeNode('Relu', ['a'], ['w_rt']),
      makeNode('Conv', ['x', 'w_rt'], ['b'], {}, { name: 'runtime' }),
      makeNode('MatMul', ['a', 'b'], ['c'], {}, { name: 'attention' }),
      makeNode('ConvTranspose', ['c', 'wt'], ['d'], { kernel_shape: [1, 1] }, { name: 'up' }),
      makeNode('Conv', ['x16', 'w16'], ['e'], { kernel_shape: [1, 1] }, { name: 'half' }),
      makeNode('If', ['cond'], ['f'], { then_branch: branch('then'), else_branch: branch('else') }),
    ];
    const model = makeModel(
      makeGraph({
        nodes,
        inputs: [
          makeValueInfo('x', F, [1, 4, 4, 4]),
          makeValueInfo('x16', DataType.FLOAT16, [1, 4, 4, 4]),
          makeValueInfo('cond', DataType.BOOL, []),
        ],
        outputs: [
          makeValueInfo('d', F),
          makeValueInfo('e', DataType.FLOAT16),
          makeValueInfo('f', F),
        ],
        initializers: [
          makeTensor('w', F, [4, 4, 3, 3], randomArray(144, 1)),
          makeTensor('wt', F, [4, 4, 1, 1], randomArray(16, 2)),
          makeTensor('w16', DataType.FLOAT16, [4, 4, 1, 1], randomArray(16, 3)),
          makeTensor('wb', F, [4, 4, 1, 1], randomArray(16, 4)),
        ],
      }),
      { opset: 13 },
    );
    const { layers, skipped } = layerCensus(model, inferShapes(model));
    expect(layers.map((l) => l.name)).toEqual(['ok']);
    expect(skipped.map((s) => [s.name, s.reason])).toEqual([
      ['runtime', 'weight is computed at run time (by a Relu node)'],
      ['attention', 'no constant operand: both inputs are computed at run time'],
      [
        'up',
        'ConvTranspose: not factorized (quantized only, per output channel, with the layers that are not factorized)',
      ],
      ['half', 'weight type FLOAT16: compressed once the model is normalised to float32 compute'],
      ['conv_then', `inside If branch then_branch: ${SUBGRAPH_QUANTIZED}`],
      ['conv_else', `inside If branch else_branch: ${SUBGRAPH_QUANTIZED}`],
    ]);
    expect(skipped[4].weightShape).toEqual([4, 4, 1, 1]);
  });
});

describe('layerCensus: recurrent layers', () => {
  it('lists LSTM, GRU and RNN (main graph and Loop body) as not compressed, with their weights', () => {
    const h = 8;
    const body = makeGraph({
      name: 'body',
      nodes: [makeNode('GRU', ['bx', 'gw', 'gr'], ['by'], { hidden_size: h }, { name: 'gru' })],
      inputs: [],
      outputs: [makeValueInfo('by', F)],
      initializers: [
        makeTensor('gw', F, [1, 3 * h, 4], randomArray(3 * h * 4, 5)),
        makeTensor('gr', F, [1, 3 * h, h], randomArray(3 * h * h, 6)),
      ],
    });
    const model = makeModel(
      makeGraph({
        nodes: [
          makeNode('LSTM', ['x', 'w', 'r', 'b'], ['y'], { hidden_size: h }, { name: 'lstm' }),
          makeNode('RNN', ['x', 'rw', 'rr'], ['z'], { hidden_size: h }, { name: 'rnn' }),
          makeNode('Loop', ['n', 'c'], ['l'], { body }, { name: 'loop' }),
        ],
        inputs: [
          makeValueInfo('x', F, [5, 1, 4]),
          makeValueInfo('n', DataType.INT64, []),
          makeValueInfo('c', DataType.BOOL, []),
        ],
        outputs: [makeValueInfo('y', F), makeValueInfo('z', F), makeValueInfo('l', F)],
        initializers: [
          makeTensor('w', F, [1, 4 * h, 4], randomArray(4 * h * 4, 1)),
          makeTensor('r', F, [1, 4 * h, h], randomArray(4 * h * h, 2)),
          makeTensor('b', F, [1, 8 * h], randomArray(8 * h, 3)),
          makeTensor('rw', F, [1, h, 4], randomArray(h * 4, 4)),
          makeTensor('rr', F, [1, h, h], randomArray(h * h, 7)),
        ],
      }),
      { opset: 14 },
    );
    const { layers, skipped } = layerCensus(model, inferShapes(model));
    expect(layers).toEqual([]);
    expect(skipped.map((s) => [s.name, s.where, s.weightShape, s.params])).toEqual([
      ['lstm', 'main graph', [1, 32, 4], 32 * 4 + 32 * 8 + 64],
      ['rnn', 'main graph', [1, 8, 4], 8 * 4 + 8 * 8],
      ['gru', 'inside Loop body', [1, 24, 4], 24 * 4 + 24 * 8],
    ]);
    expect(skipped[0].reason).toBe(
      'LSTM: not factorized (weights W and R quantized only, per gate row, with the layers that are not factorized)',
    );
    expect(skipped[2].reason).toMatch(/^inside Loop body: GRU: not factorized \(weights W and R/);
    expect(noLayerMessage(skipped)).toContain(
      "none of the model's 3 weight nodes (Conv, ConvTranspose, Gemm, MatMul, LSTM, GRU, RNN) can be compressed (LSTM: not factorized",
    );
    expect(noLayerMessage(skipped)).toContain(
      'a PTQ or QAF run still quantizes the weights that are quantized only (alone: per channel at the other-weights bits, nothing factorized)',
    );
  });
});

describe('layerCensus: the first conv on the raw input', () => {
  it('is quantize-only however large (through input normalisation); later convs are not', () => {
    const model = makeModel(
      makeGraph({
        nodes: [
          makeNode('Sub', ['x', 'mean'], ['xc']),
          makeNode('Div', ['xc', 'std'], ['xn']),
          makeNode('Conv', ['xn', 'w0'], ['a'], { kernel_shape: [3, 3] }, { name: 'stem' }),
          makeNode('Relu', ['a'], ['r']),
          makeNode('Conv', ['r', 'w1'], ['b'], { kernel_shape: [3, 3] }, { name: 'block' }),
          makeNode('Conv', ['b', 'w2'], ['y'], { kernel_shape: [1, 1] }, { name: 'head' }),
        ],
        inputs: [makeValueInfo('x', F, [1, 3, 16, 16])],
        outputs: [makeValueInfo('y', F)],
        initializers: [
          makeTensor('mean', F, [1, 3, 1, 1], [0.4, 0.5, 0.6]),
          makeTensor('std', F, [1, 3, 1, 1], [0.2, 0.2, 0.2]),
          makeTensor('w0', F, [64, 3, 3, 3], randomArray(1728, 1)),
          makeTensor('w1', F, [32, 64, 3, 3], randomArray(32 * 64 * 9, 2)),
          makeTensor('w2', F, [512, 32, 1, 1], randomArray(512 * 32, 3)),
        ],
      }),
      { opset: 13 },
    );
    const { layers } = layerCensus(model, inferShapes(model));
    expect(layers.map((l) => [l.name, l.factorizable])).toEqual([
      ['stem', false],
      ['block', true],
      ['head', true],
    ]);
    expect(layers[0].reason).toBe(
      'first conv on the raw input (3 channels): quantize only, as the published setup keeps it',
    );
  });
});
