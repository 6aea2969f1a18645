import { beforeAll, expect, it } from 'vitest';
import { activationRangeProbe, makeCalibrationBatches } from '../../src/core/calibrate/index.ts';
import { parseCifar10 } from '../../src/core/data/cifar10.ts';
import { defaultPreprocessSpec, makeBatch } from '../../src/core/data/preprocess.ts';
import { argmaxRows } from '../../src/core/eval/metrics.ts';
import { ptqWeight } from '../../src/core/factor/baselines.ts';
import type { LayerResult } from '../../src/core/factor/types.ts';
import { jsKernels } from '../../src/core/kernels/index.ts';
import { discoverLayers, type LayerInfo } from '../../src/core/onnx/layers.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import { inferShapes } from '../../src/core/onnx/shapes/inferShapes.ts';
import { DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import {
  compressModel,
  prepareModel,
  writeCompressedModel,
} from '../../src/core/pipeline/index.ts';
import { buildCompressedModel, buildReferenceModel } from '../../src/core/rewrite/compressModel.ts';
import { describeShared, readShared } from '../support/shared.ts';
import { layerResult, maxRelativeDiff, runModel } from './helpers.ts';
import { blockResults, testImages, weightOf } from './resnet20Fixture.ts';

const FLOAT_FILE_BYTES = 1_093_637;
const IMAGES = 100;

describeShared('ResNet-20 rewritten at rate 2, 4-bit block convs, 8-bit other weights', () => {
  let model: OnnxModel;
  let layers: LayerInfo[];
  let results: LayerResult[];
  let images: Float32Array;
  const dims = [IMAGES, 3, 32, 32];

  beforeAll(async () => {
    model = readModel(readShared('models/resnet20_cifar10.onnx'));
    layers = discoverLayers(model, inferShapes(model, { inputShapes: { input: [1, 3, 32, 32] } }));
    const blocks = layers.filter((l) => l.op === 'Conv' && l.factorizable);
    results = await blockResults(model, blocks);
    images = testImages(IMAGES).images;
  });

  it('factorizes exactly the 18 block 3x3 convs, not the stem', () => {
    expect(results).toHaveLength(18);
    expect(results.map((r) => r.name)).toEqual(
      layers.filter((l) => l.op === 'Conv' && l.factorizable).map((l) => l.name),
    );
    expect(results.map((r) => r.rank).slice(0, 8)).toEqual([28, 28, 28, 28, 28, 28, 40, 63]);
  });

  it('logits equal those of the reconstructed float model within 1e-4 on 100 test images', async () => {
    const out = await buildCompressedModel(model, layers, results);
    const ref = buildReferenceModel(model, layers, results);
    const y = await runModel(out.bytes, images, dims);
    const yRef = await runModel(ref, images, dims);
    expect(y).toHaveLength(IMAGES * 10);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
    expect(argmaxRows(y, IMAGES, 10)).toEqual(argmaxRows(yRef, IMAGES, 10));
  });

  it('the written file is at most 1/6 of the float file, INT4 codes at opset 21', async () => {
    const { bytes, model: m, report } = await buildCompressedModel(model, layers, results);
    expect(bytes.length).toBeLessThanOrEqual(FLOAT_FILE_BYTES / 6);
    expect(report.totals.sizeBytes).toBe(bytes.length);
    expect(report.totals.floatSizeBytes).toBeGreaterThan(FLOAT_FILE_BYTES - 1024);
    const int4 = (m.graph.initializer ?? []).filter((t) => t.dataType === DataType.INT4);
    expect(int4).toHaveLength(18 * 3);
    expect(m.opsetImport?.find((o) => !o.domain)?.version).toBe(21);
    expect(m.irVersion).toBe(10);
    const convs = (m.graph.node ?? []).filter((n) => n.opType === 'Conv');
    expect(convs).toHaveLength(1 + 18 * 3);
  });

  it('reports the BOPs of the cost model', async () => {
    const { report } = await buildCompressedModel(model, layers, results);
    // Factorized MACs by hand (test/cost), other layers 443,008 MACs at 8-bit weights.
    expect(report.totals.macs).toBe(21_008_960 + 443_008);
    expect(report.totals.bops).toBe(21_008_960 * 4 * 32 + 443_008 * 8 * 32);
    expect(report.totals.bopPercent).toBeCloseTo(
      (report.totals.bops / (40_551_040 * 1024)) * 100,
      10,
    );
    expect(report.layers).toHaveLength(20);
    expect(report.layers[0]).toMatchObject({ method: 'none', bits: 8 });
    const bytes = report.layers.reduce((s, l) => s + l.bytes, 0);
    expect(bytes).toBeLessThan(report.totals.sizeBytes);
  });
  it('the pipeline: the published 4/8 setting has the hand-computed BOP% 1.6873', async () => {
    const dataset = parseCifar10(readShared('data/cifar10_train_5k.bin'));
    const prepared = await prepareModel(readShared('models/resnet20_cifar10.onnx'));
    const batches = makeCalibrationBatches(prepared.model, dataset, { images: 32, batchSize: 16 });
    const { report, bytes } = await writeCompressedModel(
      prepared,
      results,
      { actBits: 8, actMethod: 'percentile', actImages: 32 },
      batches,
    );
    expect(report.totals.floatSizeBytes).toBe(FLOAT_FILE_BYTES);
    expect(report.totals.bops).toBe(700_639_232);
    expect(report.totals.bopPercent).toBeCloseTo(1.6873007449, 8);
    expect(report.totals.sizeBytes).toBe(bytes.length);
    expect(report.totals.sizeBytes).toBeLessThanOrEqual(FLOAT_FILE_BYTES / 6);
    const y = await runModel(bytes, images, dims);
    expect(y.every(Number.isFinite)).toBe(true);
  });
});

describeShared('ResNet-20 with PTQ only and with 8-bit activations', () => {
  let model: OnnxModel;
  let layers: LayerInfo[];
  let images: Float32Array;
  const dims = [IMAGES, 3, 32, 32];

  beforeAll(() => {
    model = readModel(readShared('models/resnet20_cifar10.onnx'));
    layers = discoverLayers(model, inferShapes(model, { inputShapes: { input: [1, 3, 32, 32] } }));
    images = testImages(IMAGES).images;
  });

  it('per-channel 4-bit PTQ keeps every node and equals its reference', async () => {
    const results = layers.map((l) => {
      const q = ptqWeight(jsKernels, weightOf(model, l), l.weightShape, 4, true);
      const rows = l.weightShape[0];
      const factor = { rows, cols: q.values.length / rows, ...q };
      return layerResult(l.name, 'ptq', [...l.weightShape], 0, 4, [factor]);
    });
    const out = await buildCompressedModel(model, layers, results);
    const kept = (out.model.graph.node ?? []).filter((n) => n.opType !== 'DequantizeLinear');
    expect(kept.map((n) => n.opType)).toEqual((model.graph.node ?? []).map((n) => n.opType));
    const ref = buildReferenceModel(model, layers, results);
    const y = await runModel(out.bytes, images, dims);
    const yRef = await runModel(ref, images, dims);
    expect(maxRelativeDiff(y, yRef)).toBeLessThan(1e-4);
  });

  it('the CLI path: the pipeline from an allocation (layers discovered), checked in onnxruntime', async () => {
    const prepared = await prepareModel(readShared('models/resnet20_cifar10.onnx'));
    const { bytes, report, check } = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: { settings: { method: 'ptq', bits: 8, perChannel: true } },
    });
    expect(check?.inputs).toBe('generated inputs');
    expect(check?.outputs[0].relativeL2).toBeLessThan(0.1);
    expect(report.layers).toHaveLength(20);
    expect(report.layers.every((l) => l.method === 'ptq' && l.bits === 8)).toBe(true);
    expect(report.totals.sizeBytes).toBeLessThan(FLOAT_FILE_BYTES / 3);
    const y = await runModel(bytes, images, dims);
    const yFloat = await runModel(model, images, dims);
    const agree = argmaxRows(y, IMAGES, 10).filter(
      (c, k) => c === argmaxRows(yFloat, IMAGES, 10)[k],
    );
    expect(agree.length).toBeGreaterThanOrEqual(97);
  });

  it('8-bit weights and activations keep the float predictions', async () => {
    const train = parseCifar10(readShared('data/cifar10_train_5k.bin'));
    const spec = defaultPreprocessSpec([1, 3, 32, 32], train);
    const inputs = makeBatch(
      train,
      spec,
      Int32Array.from({ length: 64 }, (_, k) => k * 50),
    );
    for (const method of ['minmax', 'percentile'] as const) {
      const out = await buildCompressedModel(model, layers, [], {
        actBits: 8,
        activationRanges: activationRangeProbe({ inputs, batchDims: [32, 3, 32, 32], method }),
      });
      const q = (out.model.graph.node ?? []).filter((n) => n.opType === 'QuantizeLinear');
      expect(q.length).toBe(
        new Set(layers.map((l) => model.graph.node?.[l.nodeIndex].input?.[0])).size,
      );
      expect(out.report.totals.bops).toBe(40_551_040 * 64);
      const y = await runModel(out.bytes, images, dims);
      const yFloat = await runModel(model, images, dims);
      const agree = argmaxRows(y, IMAGES, 10).filter(
        (c, k) => c === argmaxRows(yFloat, IMAGES, 10)[k],
      );
      expect(agree.length).toBeGreaterThanOrEqual(95);
    }
  });
});
