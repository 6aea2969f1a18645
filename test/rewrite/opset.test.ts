import { describe, expect, it } from 'vitest';
import { rangeOf } from '../../src/core/calibrate/index.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { DataType, type NodeProto, type OnnxModel } from '../../src/core/onnx/types.ts';
import { actQuantParams } from '../../src/core/rewrite/activations.ts';
import { buildCompressedModel, buildReferenceModel } from '../../src/core/rewrite/compressModel.ts';
import { irVersionFor } from '../../src/core/rewrite/opset.ts';
import { RewriteError, type RewriteLayer } from '../../src/core/rewrite/types.ts';
import { gridFactor, layerResult, maxRelativeDiff, randomArray, runModel } from './helpers.ts';

const F = DataType.FLOAT;

// x [N,4,5,5] -> Conv 3x3 4->6 pad 1 -> <tail nodes> -> y [N, 6]
function modelWith(opset: number, tail: NodeProto[]): { model: OnnxModel; layers: RewriteLayer[] } {
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['x', 'w'],
        ['c'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv' },
      ),
      ...tail,
    ],
    inputs: [makeValueInfo('x', F, ['N', 4, 5, 5])],
    outputs: [makeValueInfo('y', F)],
    initializers: [makeTensor('w', F, [6, 4, 3, 3], randomArray(216, 3, 0.3))],
  });
  const layers: RewriteLayer[] = [
    {
      name: 'conv',
      nodeIndex: 0,
      op: 'Conv',
      weightName: 'w',
      weightShape: [6, 4, 3, 3],
      inputShape: [1, 4, 5, 5],
      outputShape: [1, 6, 5, 5],
      macs: 6 * 4 * 9 * 25,
    },
  ];
  return { model: makeModel(graph, { opset, irVersion: 6 }), layers };
}

const result = (bits: number) =>
  layerResult('conv', 'admm', [6, 4, 3, 3], 2, bits, [
    gridFactor(6, 2, bits, 1),
    gridFactor(4, 2, bits, 2),
    gridFactor(9, 2, bits, 3),
  ]);

describe('opset upgrade', () => {
  it('converts axes attributes to inputs (ReduceMean, Squeeze) when going to opset 21', async () => {
    const { model, layers } = modelWith(11, [
      makeNode('ReduceMean', ['c'], ['m'], { axes: [2, 3], keepdims: 1 }, { name: 'mean' }),
      makeNode('Squeeze', ['m'], ['y'], { axes: [2, 3] }, { name: 'squeeze' }),
    ]);
    const out = await buildCompressedModel(model, layers, [result(4)]);
    expect(out.model.opsetImport?.find((o) => !o.domain)?.version).toBe(21);
    expect(out.model.irVersion).toBe(10);
    const squeeze = out.model.graph.node?.find((n) => n.opType === 'Squeeze');
    expect(squeeze?.attribute ?? []).toHaveLength(0);
    expect(squeeze?.input).toHaveLength(2);
    const x = randomArray(2 * 100, 5);
    const [y, yRef] = await Promise.all([
      runModel(out.bytes, x, [2, 4, 5, 5]),
      runModel(buildReferenceModel(model, layers, [result(4)]), x, [2, 4, 5, 5]),
    ]);
    expect(y).toHaveLength(12);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
  });

  it('stays at opset 13 for INT8 codes', async () => {
    const { model, layers } = modelWith(13, [makeNode('Relu', ['c'], ['y'])]);
    const out = await buildCompressedModel(model, layers, [result(8)]);
    expect(out.model.opsetImport?.find((o) => !o.domain)?.version).toBe(13);
    expect(out.model.irVersion).toBe(7);
  });

  it('refuses, naming the op, when an op changed meaning and is not converted', async () => {
    // Dropout with a mask output changed in opset 12: neither 13 (INT8) nor 21 (INT4) is reachable.
    const { model, layers } = modelWith(9, [
      makeNode('Dropout', ['c'], ['y', 'mask'], { ratio: 0.5 }, { name: 'drop' }),
    ]);
    const run = () => buildCompressedModel(model, layers, [result(4)]);
    await expect(run()).rejects.toThrow(RewriteError);
    await expect(run()).rejects.toThrow(/Dropout/);
  });

  it('stores 4-bit codes in INT8 containers when only opset 21 is out of reach', async () => {
    const { model, layers } = modelWith(18, [
      makeNode('GroupNormalization', ['c', 's', 'b'], ['y'], { num_groups: 2 }, { name: 'gn' }),
    ]);
    model.graph.initializer?.push(makeTensor('s', F, [2], [1, 2]), makeTensor('b', F, [2], [0, 1]));
    const out = await buildCompressedModel(model, layers, [result(4)]);
    const types = (out.model.graph.initializer ?? []).map((t) => t.dataType);
    expect(types).not.toContain(DataType.INT4);
    expect(types).toContain(DataType.INT8);
    expect(out.report.notes.join('\n')).toMatch(/INT8\) containers.*GroupNormalization/);
  });

  it('gives Split num_outputs when it moves to opset 18+', async () => {
    const { model, layers } = modelWith(13, [
      makeNode('Split', ['c'], ['a', 'b'], { axis: 1 }, { name: 'split' }),
      makeNode('Add', ['a', 'b'], ['y'], {}, { name: 'add' }),
    ]);
    const out = await buildCompressedModel(model, layers, [result(4)]);
    const split = out.model.graph.node?.find((n) => n.opType === 'Split');
    expect(split?.attribute?.find((a) => a.name === 'num_outputs')?.i).toBe(2);
    const y = await runModel(out.bytes, randomArray(100, 8), [1, 4, 5, 5]);
    expect(y).toHaveLength(75);
  });

  it('knows the IR version each opset needs', () => {
    expect(irVersionFor(21)).toBe(10);
    expect(irVersionFor(13)).toBe(7);
  });
});

describe('activation ranges', () => {
  it('min-max and percentile ranges', () => {
    const values = Float32Array.from({ length: 10001 }, (_, i) => i / 100);
    values[0] = -1000;
    expect(rangeOf([values], 'minmax', 99.99)).toEqual({ min: -1000, max: 100 });
    const p = rangeOf([values], 'percentile', 99);
    expect(p.min).toBeCloseTo(1, 1);
    expect(p.max).toBeCloseTo(99, 1);
  });

  it('uint8 is asymmetric with the zero exactly representable; int8 is symmetric', () => {
    const u = actQuantParams({ min: -1, max: 3 }, 'uint8');
    expect(u.scale).toBeCloseTo(4 / 255, 9);
    expect(u.zeroPoint).toBe(64);
    expect(actQuantParams({ min: 0.5, max: 2 }, 'uint8').zeroPoint).toBe(0);
    const s = actQuantParams({ min: -3, max: 1 }, 'int8');
    expect(s).toEqual({ scale: 3 / 127, zeroPoint: 0, type: 'int8' });
  });
});
