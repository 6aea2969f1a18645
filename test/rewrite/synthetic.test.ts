import { describe, expect, it } from 'vitest';
import { activationRangeProbe } from '../../src/core/calibrate/index.ts';
import {
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import { AttributeType, DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import { buildCompressedModel, buildReferenceModel } from '../../src/core/rewrite/compressModel.ts';
import { RewriteError, type RewriteLayer } from '../../src/core/rewrite/types.ts';
import {
  floatFactor,
  gridFactor,
  layerResult,
  maxRelativeDiff,
  nodesWithFloatInputs,
  randomArray,
  runModel,
} from './helpers.ts';

const F = DataType.FLOAT;

// x [N,4,9,9] -> Conv 3x3 4->6 stride 2 pad 1 (+bias) -> Relu -> Conv 1x1 6->5 -> GAP -> Flatten
// -> Gemm 5->3 (transB=1, bias)
function convModel(): { model: OnnxModel; layers: RewriteLayer[] } {
  const inits = [
    makeTensor('w1', F, [6, 4, 3, 3], randomArray(216, 1, 0.3)),
    makeTensor('b1', F, [6], randomArray(6, 2)),
    makeTensor('w2', F, [5, 6, 1, 1], randomArray(30, 3, 0.4)),
    makeTensor('w3', F, [3, 5], randomArray(15, 4)),
    makeTensor('b3', F, [3], randomArray(3, 5)),
  ];
  const nodes = [
    makeNode(
      'Conv',
      ['x', 'w1', 'b1'],
      ['c1'],
      { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
      { name: 'conv1' },
    ),
    makeNode('Relu', ['c1'], ['r1'], {}, { name: 'relu1' }),
    makeNode('Conv', ['r1', 'w2'], ['c2'], { kernel_shape: [1, 1] }, { name: 'conv2' }),
    makeNode('GlobalAveragePool', ['c2'], ['p'], {}, { name: 'gap' }),
    makeNode('Flatten', ['p'], ['f'], {}, { name: 'flat' }),
    makeNode('Gemm', ['f', 'w3', 'b3'], ['y'], { transB: 1 }, { name: 'fc' }),
  ];
  const graph = makeGraph({
    nodes,
    inputs: [makeValueInfo('x', F, ['N', 4, 9, 9])],
    outputs: [makeValueInfo('y', F, ['N', 3])],
    initializers: inits,
  });
  const layers: RewriteLayer[] = [
    {
      name: 'conv1',
      nodeIndex: 0,
      op: 'Conv',
      weightName: 'w1',
      biasName: 'b1',
      weightShape: [6, 4, 3, 3],
      inputShape: [1, 4, 9, 9],
      outputShape: [1, 6, 5, 5],
      macs: 6 * 4 * 9 * 25,
      group: 1,
    },
    {
      name: 'conv2',
      nodeIndex: 2,
      op: 'Conv',
      weightName: 'w2',
      weightShape: [5, 6, 1, 1],
      inputShape: [1, 6, 5, 5],
      outputShape: [1, 5, 5, 5],
      macs: 5 * 6 * 25,
      group: 1,
    },
    {
      name: 'fc',
      nodeIndex: 5,
      op: 'Gemm',
      weightName: 'w3',
      biasName: 'b3',
      weightShape: [3, 5],
      inputShape: [1, 5],
      outputShape: [1, 3],
      macs: 15,
    },
  ];
  return { model: makeModel(graph, { opset: 13 }), layers };
}

// x [N,8] -> Gemm transB=1 8->6 -> Relu -> Gemm transB=0 6->4 alpha .5 beta 2 -> MatMul 4->3
function gemmModel(): { model: OnnxModel; layers: RewriteLayer[] } {
  const inits = [
    makeTensor('g1', F, [6, 8], randomArray(48, 11)),
    makeTensor('gb1', F, [6], randomArray(6, 12)),
    makeTensor('g2', F, [6, 4], randomArray(24, 13)),
    makeTensor('gb2', F, [4], randomArray(4, 14)),
    makeTensor('m3', F, [4, 3], randomArray(12, 15)),
  ];
  const nodes = [
    makeNode('Gemm', ['x', 'g1', 'gb1'], ['h1'], { transB: 1 }, { name: 'fc1' }),
    makeNode('Relu', ['h1'], ['r1'], {}, { name: 'relu' }),
    makeNode(
      'Gemm',
      ['r1', 'g2', 'gb2'],
      ['h2'],
      [makeAttribute('alpha', 0.5), makeAttribute('beta', 2, AttributeType.FLOAT)],
      { name: 'fc2' },
    ),
    makeNode('MatMul', ['h2', 'm3'], ['y'], {}, { name: 'mm' }),
  ];
  const graph = makeGraph({
    nodes,
    inputs: [makeValueInfo('x', F, ['N', 8])],
    outputs: [makeValueInfo('y', F, ['N', 3])],
    initializers: inits,
  });
  const layers: RewriteLayer[] = [
    {
      name: 'fc1',
      nodeIndex: 0,
      op: 'Gemm',
      weightName: 'g1',
      biasName: 'gb1',
      weightShape: [6, 8],
      inputShape: [1, 8],
      outputShape: [1, 6],
      macs: 48,
    },
    {
      name: 'fc2',
      nodeIndex: 2,
      op: 'Gemm',
      weightName: 'g2',
      biasName: 'gb2',
      weightShape: [6, 4],
      inputShape: [1, 6],
      outputShape: [1, 4],
      macs: 24,
    },
    {
      name: 'mm',
      nodeIndex: 3,
      op: 'MatMul',
      weightName: 'm3',
      weightShape: [4, 3],
      inputShape: [1, 4],
      outputShape: [1, 3],
      macs: 12,
    },
  ];
  return { model: makeModel(graph, { opset: 13 }), layers };
}

const ops = (m: OnnxModel) => (m.graph.node ?? []).map((n) => n.opType);

describe('rewrite of a small conv net', () => {
  const { model, layers } = convModel();
  const x = randomArray(2 * 4 * 81, 99);
  const results = [
    layerResult('conv1', 'admm', [6, 4, 3, 3], 3, 4, [
      gridFactor(6, 3, 4, 21, true),
      gridFactor(4, 3, 4, 22),
      gridFactor(9, 3, 4, 23),
    ]),
    layerResult('conv2', 'ftq', [5, 6, 1, 1], 2, 6, [
      gridFactor(5, 2, 6, 24),
      gridFactor(6, 2, 6, 25),
    ]),
  ];

  it('computes what the reconstruction of its factors computes', async () => {
    const out = await buildCompressedModel(model, layers, results);
    const ref = buildReferenceModel(model, layers, results);
    const [y, yRef] = await Promise.all([
      runModel(out.bytes, x, [2, 4, 9, 9]),
      runModel(ref, x, [2, 4, 9, 9]),
    ]);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
    expect(ops(out.model)).toEqual([
      'DequantizeLinear',
      'Conv',
      'DequantizeLinear',
      'Conv',
      'DequantizeLinear',
      'Conv',
      'Relu',
      'DequantizeLinear',
      'Conv',
      'DequantizeLinear',
      'Conv',
      'GlobalAveragePool',
      'Flatten',
      'DequantizeLinear',
      'Gemm',
    ]);
  });

  it('lays the factors out as 1x1 -> depthwise (stride, pads, group R) -> 1x1 with the bias', async () => {
    const { model: m, names } = await buildCompressedModel(model, layers, results);
    const convs = (m.graph.node ?? []).filter((n) => n.opType === 'Conv');
    const attr = (i: number, a: string) => convs[i].attribute?.find((x) => x.name === a);
    expect(attr(1, 'group')?.i).toBe(3);
    expect(attr(1, 'strides')?.ints).toEqual([2, 2]);
    expect(attr(1, 'pads')?.ints).toEqual([1, 1, 1, 1]);
    expect(convs[2].input?.[2]).toBe('b1');
    expect(convs[2].output).toEqual(['c1']);
    const init = (n: string) => m.graph.initializer?.find((t) => t.name === n);
    const codes = (name: string) =>
      m.graph.node?.find((n) => n.output?.[0] === name)?.input?.[0] ?? '';
    expect(init(codes(convs[0].input?.[1] ?? ''))?.dims).toEqual([3, 4, 1, 1]);
    expect(init(codes(convs[1].input?.[1] ?? ''))?.dims).toEqual([3, 1, 3, 3]);
    expect(init(codes(convs[2].input?.[1] ?? ''))?.dataType).toBe(DataType.INT4);
    expect(init(codes(convs[4].input?.[1] ?? ''))?.dataType).toBe(DataType.INT8);
    const c1 = names.get('conv1');
    expect(c1?.outputName).toBe('c1');
    expect(c1?.biasName).toBe('b1');
    expect(init(c1?.lastWeightScaleName ?? '')?.dims).toEqual([6]);
    expect(m.opsetImport?.find((o) => !o.domain)?.version).toBe(21);
    expect(m.irVersion).toBe(10);
    expect(init('w1')).toBeUndefined();
  });

  it('reports costs, bytes and the INT8 container note', async () => {
    const { report, bytes } = await buildCompressedModel(model, layers, results);
    expect(report.totals.sizeBytes).toBe(bytes.length);
    const [c1, c2, fc] = report.layers;
    expect(c1).toMatchObject({ name: 'conv1', method: 'admm', rank: 3, bits: 4 });
    expect(c1.macs).toBe(3 * 4 * 81 + 3 * 9 * 25 + 3 * 6 * 25);
    // codes: 12 + 27 + 18 INT4 values -> 6 + 14 + 9 bytes; scales 4 + 4 + 6*4; bias 6*4
    expect(c1.bytes).toBe(6 + 14 + 9 + 4 + 4 + 24 + 24);
    expect(c2.bytes).toBe(10 + 12 + 4 + 4);
    expect(fc).toMatchObject({ method: 'none', bits: 8, bytes: 15 + 12 + 12 });
    expect(report.notes.join(' ')).toMatch(/6-bit codes are stored in 8-bit/);
    expect(Number.isFinite(c1.error)).toBe(true);
  });

  it('8-bit activations: Q/DQ on every input of every weight node, calibrated in ORT', async () => {
    const actCalibration = { inputs: randomArray(8 * 324, 17), batchDims: [3, 4, 9, 9] };
    const out = await buildCompressedModel(model, layers, results, {
      actBits: 8,
      activationRanges: activationRangeProbe(actCalibration),
    });
    const seq = ops(out.model);
    expect(seq.slice(0, 3)).toEqual(['QuantizeLinear', 'DequantizeLinear', 'DequantizeLinear']);
    // 3 layer inputs + 2 tensors inside conv1's 3-way chain + 1 inside conv2's 2-way chain
    expect(seq.filter((o) => o === 'QuantizeLinear')).toHaveLength(6);
    expect(out.names.get('conv1')?.chainTensorNames).toHaveLength(2);
    expect(nodesWithFloatInputs(out.model)).toEqual([]);
    const first = out.model.graph.node?.find(
      (n) => n.name === out.names.get('conv1')?.nodeNames[0],
    );
    expect(first?.input?.[0]).toBe('x_act_dq');
    expect(out.report.actBits).toBe(8);
    expect(out.report.layers[0].bops).toBe(out.report.layers[0].macs * 4 * 8);
    const y = await runModel(out.bytes, x, [2, 4, 9, 9]);
    const ref = await runModel(buildReferenceModel(model, layers, results), x, [2, 4, 9, 9]);
    expect(maxRelativeDiff(y, ref)).toBeLessThan(0.02);
  });

  it('float CP writes float factors and no DequantizeLinear', async () => {
    const cp = [
      layerResult('conv1', 'cp', [6, 4, 3, 3], 3, 32, [
        floatFactor(6, 3, 1),
        floatFactor(4, 3, 2),
        floatFactor(9, 3, 3),
      ]),
    ];
    const out = await buildCompressedModel(model, layers, cp);
    expect(ops(out.model)).not.toContain('DequantizeLinear');
    expect(out.model.opsetImport?.[0].version).toBe(13);
    const ref = buildReferenceModel(model, layers, cp);
    const [y, yRef] = await Promise.all([
      runModel(out.bytes, x, [2, 4, 9, 9]),
      runModel(ref, x, [2, 4, 9, 9]),
    ]);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
  });

  it('PTQ keeps the layer form with per-channel or per-tensor DequantizeLinear', async () => {
    const ptq = [
      layerResult('conv1', 'ptq', [6, 4, 3, 3], 0, 4, [gridFactor(6, 36, 4, 31, true)]),
      layerResult('fc', 'ptq', [3, 5], 0, 8, [gridFactor(3, 5, 8, 32)]),
    ];
    const out = await buildCompressedModel(model, layers, ptq, { otherWeightBits: 32 });
    expect(ops(out.model)).toEqual([
      'DequantizeLinear',
      'Conv',
      'Relu',
      'Conv',
      'GlobalAveragePool',
      'Flatten',
      'DequantizeLinear',
      'Gemm',
    ]);
    const ref = buildReferenceModel(model, layers, ptq, { otherWeightBits: 32 });
    const [y, yRef] = await Promise.all([
      runModel(out.bytes, x, [2, 4, 9, 9]),
      runModel(ref, x, [2, 4, 9, 9]),
    ]);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
  });
});

describe('rewrite errors and other-layer bits', () => {
  const { model, layers } = convModel();
  const x = randomArray(4 * 81, 5);

  it('refuses results that do not fit the model, naming the layer', async () => {
    const wrongShape = layerResult('conv1', 'admm', [6, 4, 1, 1], 2, 4, [
      gridFactor(6, 2, 4, 1),
      gridFactor(4, 2, 4, 2),
    ]);
    await expect(buildCompressedModel(model, layers, [wrongShape])).rejects.toThrow(
      /conv1.*does not match/,
    );
    const unknown = layerResult('nope', 'ptq', [3, 5], 0, 8, [gridFactor(3, 5, 8, 1)]);
    await expect(buildCompressedModel(model, layers, [unknown])).rejects.toThrow(RewriteError);
    const offGrid = gridFactor(6, 36, 4, 3);
    offGrid.codes?.set([9], 0);
    const ptq = layerResult('conv1', 'ptq', [6, 4, 3, 3], 0, 4, [offGrid]);
    await expect(buildCompressedModel(model, layers, [ptq])).rejects.toThrow(/off the 4-bit grid/);
    await expect(buildCompressedModel(model, layers, [], { actBits: 8 })).rejects.toThrow(
      /calibration/,
    );
  });

  it('other layers at 4 bits are per-channel INT4 and match the reference', async () => {
    const out = await buildCompressedModel(model, layers, [], { otherWeightBits: 4 });
    const int4 = (out.model.graph.initializer ?? []).filter((t) => t.dataType === DataType.INT4);
    expect(int4.map((t) => t.name)).toEqual(['w1_codes', 'w2_codes', 'w3_codes']);
    const ref = buildReferenceModel(model, layers, [], { otherWeightBits: 4 });
    const [y, yRef] = await Promise.all([
      runModel(out.bytes, x, [1, 4, 9, 9]),
      runModel(ref, x, [1, 4, 9, 9]),
    ]);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
    expect(out.report.layers.every((l) => l.bits === 4 && l.error > 0 && l.error < 0.2)).toBe(true);
  });

  it('an all-zero output channel (scale 0) dequantizes to zeros', async () => {
    const zeroed = structuredClone(model);
    const w2 = zeroed.graph.initializer?.find((t) => t.name === 'w2');
    if (w2?.rawData) w2.rawData.fill(0, 0, 6 * 4);
    const out = await buildCompressedModel(zeroed, layers, []);
    const ref = buildReferenceModel(zeroed, layers, []);
    const [y, yRef] = await Promise.all([
      runModel(out.bytes, x, [1, 4, 9, 9]),
      runModel(ref, x, [1, 4, 9, 9]),
    ]);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
  });

  it('nothing quantized: the model stays float and unchanged in form', async () => {
    const out = await buildCompressedModel(model, layers, []);
    expect(ops(out.model)).toEqual(ops(model));
    expect(out.report.totals.bopPercent).toBe(100);
    expect(out.model.opsetImport?.[0].version).toBe(13);
  });
});

describe('rewrite of a Gemm/MatMul net', () => {
  const { model, layers } = gemmModel();
  const x = randomArray(5 * 8, 7);
  const results = [
    layerResult('fc1', 'admm', [6, 8], 3, 4, [
      gridFactor(6, 3, 4, 41, true),
      gridFactor(8, 3, 4, 42),
    ]),
    layerResult('fc2', 'admm', [6, 4], 2, 4, [
      gridFactor(6, 2, 4, 43),
      gridFactor(4, 2, 4, 44, true),
    ]),
    layerResult('mm', 'admm', [4, 3], 2, 4, [
      gridFactor(4, 2, 4, 45),
      gridFactor(3, 2, 4, 46, true),
    ]),
  ];

  it('each layer becomes two of its kind and computes the reconstruction', async () => {
    const out = await buildCompressedModel(model, layers, results);
    expect(ops(out.model).filter((o) => o !== 'DequantizeLinear')).toEqual([
      'Gemm',
      'Gemm',
      'Relu',
      'Gemm',
      'Gemm',
      'MatMul',
      'MatMul',
    ]);
    const ref = buildReferenceModel(model, layers, results);
    const [y, yRef] = await Promise.all([runModel(out.bytes, x, [5, 8]), runModel(ref, x, [5, 8])]);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
    expect(readModel(out.bytes).graph.output?.[0].name).toBe('y');
  });

  it('8-bit activations reach the inner Gemm and MatMul of each chain', async () => {
    const actCalibration = { inputs: randomArray(16 * 8, 19), batchDims: [4, 8] };
    const out = await buildCompressedModel(model, layers, results, {
      actBits: 8,
      activationRanges: activationRangeProbe(actCalibration),
    });
    expect(ops(out.model).filter((o) => o === 'QuantizeLinear')).toHaveLength(6);
    expect(nodesWithFloatInputs(out.model)).toEqual([]);
    const y = await runModel(out.bytes, x, [5, 8]);
    const ref = await runModel(buildReferenceModel(model, layers, results), x, [5, 8]);
    expect(maxRelativeDiff(y, ref)).toBeLessThan(0.05);
  });
});
