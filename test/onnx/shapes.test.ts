import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  DataType,
  discoverLayers,
  inferShapes,
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  type NodeProto,
  readModel,
  summarizeModel,
  type TensorProto,
  writeModel,
} from '../../src/core/onnx/index.ts';
import { ortShapes } from './ortShapes.ts';

const F = DataType.FLOAT;
const I64 = DataType.INT64;

function weights(name: string, dims: number[]): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  return makeTensor(
    name,
    F,
    dims,
    Float32Array.from({ length: count }, (_, i) => ((i % 13) - 6) / 10),
  );
}

function ints(name: string, values: number[], dims = [values.length]): TensorProto {
  return makeTensor(name, I64, dims, values);
}

function model(
  nodes: NodeProto[],
  input: (number | string)[],
  initializers: TensorProto[],
  opset: number,
) {
  const last = nodes.at(-1)!.output![0];
  const graph = makeGraph({
    nodes,
    inputs: [makeValueInfo('x', F, input)],
    outputs: [makeValueInfo(last, F)],
    initializers,
  });
  // Through the writer and reader, so the test also covers what a real file would hold.
  return readModel(writeModel(makeModel(graph, { opset })));
}

/** Static shapes must equal what onnxruntime computes, for every value in the graph. */
async function expectStaticMatchesRuntime(m: ReturnType<typeof model>, input: number[]) {
  const inferred = inferShapes(m);
  expect(inferred.unresolved).toEqual([]);
  const measured = await ortShapes(m, { x: { dims: input } });
  for (const [name, dims] of measured)
    expect([name, inferred.shapes.get(name)]).toEqual([name, dims]);
  return inferred;
}

describe('static shape inference agrees with onnxruntime (opset 14)', () => {
  it('conv, pooling, resize, shape chains, reshape, gemm, matmul and friends', async () => {
    const nodes = [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [1, 0, 1, 2],
      }),
      makeNode('Relu', ['c1'], ['r1']),
      makeNode('MaxPool', ['r1'], ['p1'], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
      makeNode('AveragePool', ['r1'], ['p2'], { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER' }),
      makeNode('Conv', ['p2', 'w2'], ['c2'], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        auto_pad: 'SAME_LOWER',
      }),
      makeNode('Conv', ['c2', 'w3'], ['c3'], {
        kernel_shape: [3, 3],
        group: 4,
        dilations: [2, 2],
        pads: [2, 2, 2, 2],
      }),
      makeNode('Resize', ['c3', '', 'scales'], ['rs'], { mode: 'nearest' }),
      makeNode('Shape', ['rs'], ['s']),
      makeNode('Gather', ['s', 'zero'], ['n']),
      makeNode('Unsqueeze', ['n', 'axis0'], ['n1']),
      makeNode('Concat', ['n1', 'minus1'], ['target'], { axis: 0 }),
      makeNode('Reshape', ['rs', 'target'], ['flat']),
      makeNode('Constant', [], ['zeroMinus'], [makeAttribute('value', ints('k', [0, 0, -1]))]),
      makeNode('Reshape', ['c3', 'zeroMinus'], ['flat2']),
      makeNode('Transpose', ['c3'], ['tr'], { perm: [0, 2, 3, 1] }),
      makeNode('Slice', ['tr', 'st', 'en', 'ax', 'stp'], ['sl']),
      makeNode('Pad', ['sl', 'pads'], ['pd']),
      makeNode('Split', ['pd', 'splits'], ['sp1', 'sp2'], { axis: 3 }),
      makeNode('Concat', ['sp2', 'sp1'], ['cc'], { axis: 3 }),
      makeNode('ReduceMean', ['cc'], ['rm'], { axes: [1, 2], keepdims: 0 }),
      makeNode('Expand', ['rm', 'expandTo'], ['ex']),
      makeNode('Tile', ['ex', 'reps'], ['tl']),
      makeNode(
        'ConstantOfShape',
        ['s'],
        ['zeros'],
        [makeAttribute('value', makeTensor('v', F, [1], [2]))],
      ),
      makeNode('Mul', ['zeros', 'rs'], ['mz']),
      makeNode('GlobalAveragePool', ['mz'], ['g']),
      makeNode('Flatten', ['g'], ['fl']),
      makeNode('Gemm', ['fl', 'wg', 'bg'], ['gm'], { transB: 1 }),
      makeNode('Gemm', ['wgT', 'fl'], ['gmT'], { transA: 1, transB: 1 }),
      makeNode('MatMul', ['gm', 'wm'], ['mm']),
      makeNode('Unsqueeze', ['mm', 'axis12'], ['mm3']),
      makeNode('Squeeze', ['mm3', 'axis12'], ['sq']),
      makeNode('MatMul', ['mm3', 'wb'], ['mmb']),
      makeNode('Sigmoid', ['mmb'], ['sg']),
      makeNode('HardSwish', ['sg'], ['hs']),
      makeNode('LeakyRelu', ['hs'], ['lr'], [makeAttribute('alpha', 0.1)]),
      makeNode('HardSigmoid', ['lr'], ['hsg']),
      makeNode('Clip', ['hsg', 'lo', 'hi'], ['cl']),
      makeNode('Tanh', ['cl'], ['th']),
      makeNode('Cast', ['th'], ['ct'], { to: DataType.DOUBLE }),
      makeNode('Cast', ['ct'], ['ct2'], { to: F }),
      makeNode('Dropout', ['ct2'], ['dr']),
      makeNode('Identity', ['dr'], ['id']),
      makeNode('Sub', ['id', 'bcast'], ['sub']),
      makeNode('Div', ['sub', 'two'], ['div']),
      makeNode('Softmax', ['div'], ['out'], { axis: -1 }),
    ];
    const inits = [
      weights('w1', [8, 3, 3, 3]),
      weights('b1', [8]),
      weights('w2', [4, 8, 3, 3]),
      weights('w3', [4, 1, 3, 3]),
      makeTensor('scales', F, [4], [1, 1, 2, 1.5]),
      ints('zero', [0], []),
      ints('axis0', [0]),
      ints('axis12', [1, 2]),
      ints('minus1', [-1]),
      ints('st', [1, -1]),
      ints('en', [2 ** 63, -100]),
      ints('ax', [1, 3]),
      ints('stp', [2, -1]),
      ints('pads', [0, 1, 0, 2, 0, 0, 3, 1]),
      ints('splits', [2, 5]),
      ints('expandTo', [3, 1, 1]),
      ints('reps', [1, 2, 1]),
      weights('wg', [6, 4]),
      weights('bg', [6]),
      weights('wgT', [4, 3]),
      weights('wm', [6, 5]),
      weights('wb', [4, 5, 7]),
      makeTensor('lo', F, [], [0]),
      makeTensor('hi', F, [], [6]),
      weights('bcast', [7]),
      makeTensor('two', F, [], [2]),
    ];
    const m = model(nodes, [2, 3, 17, 15], inits, 14);
    const inferred = await expectStaticMatchesRuntime(m, [2, 3, 17, 15]);
    expect(inferred.shapes.get('out')).toEqual([2, 4, 1, 7]);
    expect(inferred.constants.get('target')?.values).toEqual([2, -1]);
    expect(inferred.shapes.get('flat2')).toEqual([2, 4, 20]);
  });
});

describe('opset 9: attribute forms and unfolded BatchNormalization', () => {
  const nodes = [
    makeNode('Conv', ['x', 'w'], ['c'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    makeNode(
      'BatchNormalization',
      ['c', 'scale', 'shift', 'mean', 'var'],
      ['bn'],
      [makeAttribute('epsilon', 1e-5)],
    ),
    makeNode('Relu', ['bn'], ['r']),
    makeNode('Slice', ['r'], ['s'], { starts: [0, 0], ends: [2 ** 63, 2 ** 63], axes: [2, 3] }),
    makeNode('Slice', ['s'], ['s2'], { starts: [1], ends: [-1], axes: [3] }),
    makeNode('Pad', ['s2'], ['p'], { pads: [0, 4, 0, 1, 0, 4, 0, 1], mode: 'constant' }),
    makeNode('Conv', ['p', 'w2', 'b2'], ['c2'], { kernel_shape: [1, 1], strides: [2, 2] }),
    makeNode('Unsqueeze', ['c2'], ['u'], { axes: [0] }),
    makeNode('Squeeze', ['u'], ['q'], { axes: [0] }),
    makeNode('Upsample', ['q', 'up'], ['out'], { mode: 'nearest' }),
  ];
  const inits = [
    weights('w', [16, 3, 3, 3]),
    weights('scale', [16]),
    weights('shift', [16]),
    weights('mean', [16]),
    makeTensor('var', F, [16], new Float32Array(16).fill(1)),
    weights('w2', [32, 24, 1, 1]),
    weights('b2', [32]),
    makeTensor('up', F, [4], [1, 1, 2, 2]),
  ];

  it('gets shapes right (checked against onnxruntime)', async () => {
    const m = model(nodes, [1, 3, 10, 12], inits, 9);
    expect(m.opsetImport?.[0].version).toBe(9);
    const inferred = await expectStaticMatchesRuntime(m, [1, 3, 10, 12]);
    expect(inferred.shapes.get('s2')).toEqual([1, 16, 10, 10]);
    expect(inferred.shapes.get('p')).toEqual([1, 24, 10, 12]);
    expect(inferred.shapes.get('c2')).toEqual([1, 32, 5, 6]);
  });

  it('gets MACs and parameters right; BatchNorm statistics are not layer parameters', () => {
    const m = model(nodes, [1, 3, 10, 12], inits, 9);
    const layers = discoverLayers(m, inferShapes(m));
    expect(layers.map((l) => [l.op, l.macs, l.params])).toEqual([
      ['Conv', 16 * 3 * 9 * 10 * 12, 432],
      ['Conv', 32 * 24 * 5 * 6, 768 + 32],
    ]);
    expect(layers[1].reason).toBe('too small to factorize: 768 weights');
    const summary = summarizeModel(m, layers);
    expect(summary.params).toBe(432 + 800);
    expect(summary.floatInitializerElements).toBe(432 + 800 + 4 * 16 + 4);
  });
});

describe('symbolic dimensions', () => {
  const nodes = [
    makeNode(
      'Conv',
      ['x', 'w1'],
      ['c1'],
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
      { name: 'same' },
    ),
    makeNode(
      'Conv',
      ['c1', 'w2'],
      ['c2'],
      { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
      { name: 'down' },
    ),
    makeNode('GlobalAveragePool', ['c2'], ['g']),
    makeNode('Flatten', ['g'], ['f']),
    makeNode('Gemm', ['f', 'wf'], ['out'], { transB: 1 }, { name: 'fc' }),
  ];
  const inits = [
    weights('w1', [16, 3, 3, 3]),
    weights('w2', [32, 16, 3, 3]),
    weights('wf', [10, 32]),
  ];

  it('propagates names, marks undecidable dims unknown, and leaves those MACs null', () => {
    const m = model(nodes, ['N', 3, 'H', 'W'], inits, 13);
    const layers = discoverLayers(m, inferShapes(m));
    expect(layers.map((l) => l.outputShape)).toEqual([
      ['N', 16, 'H', 'W'],
      ['N', 32, '?', '?'],
      ['N', 10],
    ]);
    expect(layers.map((l) => l.macs)).toEqual([null, null, 320]);
    expect(summarizeModel(m, layers).macs).toBeNull();
  });

  it('computes every MAC once the input shape is given', () => {
    const m = model(nodes, ['N', 3, 'H', 'W'], inits, 13);
    const layers = discoverLayers(m, inferShapes(m, { inputShapes: { x: [1, 3, 20, 30] } }));
    expect(layers.map((l) => l.macs)).toEqual([16 * 27 * 600, 32 * 144 * 150, 320]);
    expect(() => inferShapes(m, { inputShapes: { y: [1] } })).toThrow(/no input named "y"/);
  });

  it('resolves Reshape(-1) with a symbolic batch through Shape -> Gather -> Concat', () => {
    const chain = [
      makeNode('Shape', ['x'], ['s']),
      makeNode('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
      makeNode('Unsqueeze', ['n', 'axis0'], ['n1']),
      makeNode('Concat', ['n1', 'minus1'], ['t'], { axis: 0 }),
      makeNode('Reshape', ['x', 't'], ['out']),
    ];
    const m = model(
      chain,
      ['batch', 3, 4, 5],
      [ints('zero', [0], []), ints('axis0', [0]), ints('minus1', [-1])],
      13,
    );
    expect(inferShapes(m).shapes.get('out')).toEqual(['batch', 60]);
  });
});

describe('layer discovery', () => {
  it('classifies grouped, depthwise, 1x1, Gemm and MatMul layers and counts their MACs', () => {
    const nodes = [
      makeNode('Conv', ['x', 'pw'], ['a'], { kernel_shape: [1, 1] }, { name: 'pointwise' }),
      makeNode('Conv', ['a', 'dw', 'dwb'], ['b'], {
        kernel_shape: [3, 3],
        group: 64,
        pads: [1, 1, 1, 1],
      }),
      makeNode('Conv', ['b', 'gw'], ['c'], {
        kernel_shape: [3, 3],
        group: 4,
        auto_pad: 'SAME_UPPER',
        strides: [2, 2],
      }),
      makeNode('Reshape', ['c', 'seq'], ['d']),
      makeNode('MatMul', ['d', 'mw'], ['e'], {}, { name: 'proj' }),
      makeNode(
        'Gemm',
        ['e2', 'gw2', 'gb'],
        ['out'],
        [makeAttribute('alpha', 1, AttributeType.FLOAT)],
      ),
    ];
    nodes.splice(5, 0, makeNode('Reshape', ['e', 'rows'], ['e2']));
    const inits = [
      weights('pw', [64, 32, 1, 1]),
      weights('dw', [64, 1, 3, 3]),
      weights('dwb', [64]),
      weights('gw', [64, 16, 3, 3]),
      ints('seq', [0, 64, -1]),
      weights('mw', [16, 128]),
      ints('rows', [-1, 128]),
      weights('gw2', [128, 100]),
      weights('gb', [100]),
    ];
    const m = model(nodes, [1, 32, 8, 8], inits, 13);
    const layers = discoverLayers(m, inferShapes(m));
    expect(layers.map((l) => [l.name, l.op, l.macs, l.factorizable, l.reason])).toEqual([
      ['pointwise', 'Conv', 64 * 32 * 64, true, '1x1 conv: low-rank (2-way)'],
      [
        'Conv_1 (weight dw)',
        'Conv',
        64 * 9 * 64,
        false,
        'depthwise: 1 input channel per group, quantize only',
      ],
      [
        'Conv_2 (weight gw)',
        'Conv',
        64 * 16 * 9 * 16,
        false,
        // Strided 8x8 -> 4x4: a per-group first 1x1 at the input size costs more than the conv.
        'grouped: 4 groups, quantize only (factorizing each group would not pay: 159488 MACs at rate 2 against 147456)',
      ],
      ['proj', 'MatMul', 64 * 16 * 128, true, 'MatMul: low-rank (2-way)'],
      ['Gemm_6 (weight gw2)', 'Gemm', 128 * 100, true, 'Gemm: low-rank (2-way)'],
    ]);
    expect(layers[2].pads).toEqual([0, 0, 1, 1]);
    expect(layers[3].outputShape).toEqual([1, 64, 128]);
    expect(layers[1].biasName).toBe('dwb');
  });
});
