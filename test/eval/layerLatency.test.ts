// The measured latency table (eval/layerLatency.ts): every layer in every form as a one-layer
// model that loads and runs in onnxruntime, the rest of the graph non-negative, and the table
// usable by the latency budget. Behaviour only: the times themselves are never asserted.
import { describe, expect, it } from 'vitest';
import { latencyKey, predictedModelMs } from '../../src/core/cost/latencyTable.ts';
import { measureLatencyTable, singleLayerModel } from '../../src/core/eval/layerLatency.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
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
});
