// The measured latency table (eval/layerLatency.ts): every layer in every form as a one-layer
// model that loads and runs in onnxruntime, the rest of the graph non-negative, and the table
// usable by the latency budget. Behaviour only: the times themselves are never asserted.
import { describe, expect, it } from 'vitest';
import { latencyKey, predictedModelMs } from '../../src/core/cost/latencyTable.ts';
import { measureLatencyTable, singleLayerModel } from '../../src/core/eval/layerLatency.ts';
import { createSession, runScores } from '../../src/core/eval/session.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import { DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import { prepareModel } from '../../src/core/pipeline/prepare.ts';
import { residualModelBytes } from '../allocate/fixtures.ts';

describe('layer latency table', () => {
  it('times float, keep, quantize and each rank of every layer, and the whole model', async () => {
    const bytes = residualModelBytes();
    const prepared = await prepareModel(bytes);
    const byName = new Map(prepared.layers.map((l) => [l.name, l]));
    const requests = ['conv1', 'fc'].map((name) => ({
      layer: byName.get(name)!,
      ranks: name === 'conv1' ? [28] : [],
    }));
    const done: number[] = [];
    const table = await measureLatencyTable(bytes, ['batch', 3, 6, 6], requests, {
      runs: 2,
      warmupRuns: 1,
      onLayer: (d) => done.push(d),
    });
    expect(done).toEqual([1, 2]);
    expect(table.layers.map((l) => l.name)).toEqual(['conv1', 'fc']);
    expect(Object.keys(table.layers[0].ms).sort()).toEqual(
      ['float', 'keep', 'quantize', 'rank:28'].sort(),
    );
    for (const l of table.layers)
      for (const ms of Object.values(l.ms)) expect(ms).toBeGreaterThanOrEqual(0);
    expect(table.modelMs).toBeGreaterThan(0);
    expect(table.restMs).toBeGreaterThanOrEqual(0);
    expect(table.weightForm).toBe('load');
    const predicted = predictedModelMs(table, { conv1: latencyKey({ rank: 28 }) });
    expect(Number.isFinite(predicted)).toBe(true);
  });

  it('writes the factorized forms as the rewrite does, weights folded at load', async () => {
    const prepared = await prepareModel(residualModelBytes());
    const conv1 = prepared.layers.find((l) => l.name === 'conv1')!;
    const options = { batch: 2, weightForm: 'load' as const, otherWeightBits: 8 };
    const ops = (key: Parameters<typeof singleLayerModel>[1]) =>
      readModel(singleLayerModel(conv1, key, options)).graph.node?.map((n) => n.opType);
    expect(ops('float')).toEqual(['Conv']);
    expect(ops('rank:8')).toEqual([
      'Cast',
      'Mul',
      'Cast',
      'Mul',
      'Cast',
      'Mul',
      'Conv',
      'Conv',
      'Conv',
    ]);
    const dq = singleLayerModel(conv1, 'quantize', { ...options, weightForm: 'dequantize' });
    expect(readModel(dq).graph.node?.map((n) => n.opType)).toEqual(['DequantizeLinear', 'Conv']);
  });

  it('with 8-bit activations, quantizes every Conv and MatMul input, the chain inside too', async () => {
    const prepared = await prepareModel(residualModelBytes());
    const byName = new Map(prepared.layers.map((l) => [l.name, l]));
    const options = { batch: 2, weightForm: 'load' as const, otherWeightBits: 8, actBits: 8 };
    for (const [name, key] of [
      ['conv1', 'rank:8'],
      ['conv1', 'rank:8:int8'],
      ['conv1', 'float'],
      ['conv1', 'keep'],
      ['fc', 'rank:4'],
      ['fc', 'quantize'],
    ] as const) {
      const layer = byName.get(name)!;
      const bytes = singleLayerModel(layer, key, options);
      const model = readModel(bytes);
      const compute = model.graph.node?.filter((n) => ['Conv', 'MatMul'].includes(n.opType!));
      expect(compute?.length).toBe(key.startsWith('rank:') ? (name === 'conv1' ? 3 : 2) : 1);
      for (const node of compute ?? []) {
        const dq = producer(model, node.input?.[0]);
        expect(dq?.opType).toBe('DequantizeLinear');
        expect(producer(model, dq?.input?.[0])?.opType).toBe('QuantizeLinear');
      }
      // Weights stay DequantizeLinear (no Cast + Mul): the form the pipeline keeps for them.
      const ops = model.graph.node?.map((n) => n.opType);
      expect(ops).not.toContain('Cast');
      if (key !== 'float') {
        const codes = key.endsWith(':int8') || key === 'keep' ? DataType.INT8 : DataType.INT4;
        const types = model.graph.initializer?.map((t) => t.dataType);
        expect(types).toContain(codes);
      }
      const session = await createSession(bytes);
      const dims = [2, ...(layer.inputShape?.slice(1).map(Number) ?? [])];
      const x = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) =>
        Math.sin(i),
      );
      const { scores } = await runScores(session, x, dims);
      expect(scores.length).toBeGreaterThan(0);
      expect(scores.every(Number.isFinite)).toBe(true);
      await session.release();
    }
    expect(() =>
      singleLayerModel(byName.get('conv1')!, 'float', { ...options, actBits: 4 }),
    ).toThrow(RangeError);
  });

  it('an 8-bit activation table times both code widths and says its bits', async () => {
    const bytes = residualModelBytes();
    const prepared = await prepareModel(bytes);
    const conv1 = prepared.layers.find((l) => l.name === 'conv1')!;
    const table = await measureLatencyTable(
      bytes,
      ['batch', 3, 6, 6],
      [{ layer: conv1, ranks: [28], bits: [3, 8] }],
      { runs: 2, warmupRuns: 1, actBits: 8 },
    );
    expect(table.actBits).toBe(8);
    expect(table.weightForm).toBe('dequantize');
    expect(Object.keys(table.layers[0].ms).sort()).toEqual(
      ['float', 'keep', 'quantize', 'quantize:int8', 'rank:28', 'rank:28:int8'].sort(),
    );
    expect(table.restMs).toBeGreaterThanOrEqual(0);
    const key = latencyKey({ rank: 28, bits: 6 }, table.actBits);
    expect(key).toBe('rank:28:int8');
    expect(Number.isFinite(predictedModelMs(table, { conv1: key }))).toBe(true);
    await expect(
      measureLatencyTable(bytes, ['batch', 3, 6, 6], [], { actBits: 16 }),
    ).rejects.toThrow(/activation bits must be 8 or 32/);
  });
});

function producer(model: OnnxModel, name: string | undefined) {
  return model.graph.node?.find((n) => n.output?.includes(name ?? ''));
}
