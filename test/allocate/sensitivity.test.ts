// The sensitivity pass on a tiny residual model: its cut-down runs (layer alone, then the suffix
// fed the captured skip tensor) must give what the whole model gives with the layer replaced,
// uncalibrated against a model with the reconstructed weight swapped in, and calibrated against
// the pipeline's own written and calibrated model. Then: the cache, progress, cancel, and
// costs that add up to the written model's report.
import { beforeAll, describe, expect, it } from 'vitest';
import { cachedFactorizer, jobKey } from '../../src/core/allocate/factorizer.ts';
import { cutAtLayer } from '../../src/core/allocate/layerCut.ts';
import type { CompressOption } from '../../src/core/allocate/options.ts';
import {
  measureSensitivity,
  type SensitivityOptions,
  type SensitivityProgress,
} from '../../src/core/allocate/sensitivity.ts';
import {
  MemorySensitivityCache,
  type SensitivityTable,
  SerializableSensitivityCache,
} from '../../src/core/allocate/table.ts';
import type { CalibrationBatch } from '../../src/core/calibrate/outputStats.ts';
import { countAgreement, klDivergenceSum, toProbabilities } from '../../src/core/eval/metrics.ts';
import { createSession, runScores } from '../../src/core/eval/session.ts';
import { compressLayer, reconstruct } from '../../src/core/factor/compressLayer.ts';
import { DEFAULT_QAF_SCALES } from '../../src/core/factor/types.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import type { Kernels } from '../../src/core/kernels/types.ts';
import { makeTensor } from '../../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { tensorToFloat32 } from '../../src/core/onnx/tensor.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { compressModel } from '../../src/core/pipeline/compressModel.ts';
import { type PreparedModel, prepareModel } from '../../src/core/pipeline/prepare.ts';
import { LayerFactorCache } from '../../src/core/sweep/layerCache.ts';
import { CLASSES, randomBatches, residualModelBytes } from './fixtures.ts';

let prepared: PreparedModel;
let kernels: Kernels;
let batches: CalibrationBatch[];
const menu = { rates: [2], bits: [4], ptqBits: [4] };

beforeAll(async () => {
  prepared = await prepareModel(residualModelBytes());
  kernels = await loadKernels();
  batches = randomBatches(70, 32);
});

/** KL(original || model) and agreement of a whole model on the batches, run directly. */
async function wholeModelScores(bytes: Uint8Array) {
  const [model, original] = [await createSession(bytes), await createSession(prepared.bytes)];
  let kl = 0;
  let agreed = 0;
  let images = 0;
  for (const b of batches) {
    const q = await runScores(model, b.data, b.dims);
    const p = await runScores(original, b.data, b.dims);
    const n = b.dims[0];
    kl += klDivergenceSum(
      toProbabilities(p.scores, n, CLASSES),
      toProbabilities(q.scores, n, CLASSES),
      n,
      CLASSES,
    );
    agreed += countAgreement(q.scores, p.scores, n, CLASSES);
    images += n;
  }
  await model.release();
  await original.release();
  return { kl: kl / images, agreement: agreed / images };
}

function withWeight(name: string, values: Float32Array, dims: number[]): Uint8Array {
  const model = readModel(prepared.bytes);
  const inits = model.graph.initializer ?? [];
  inits[inits.findIndex((t) => t.name === name)] = makeTensor(name, DataType.FLOAT, dims, values);
  return writeModel(model);
}

function run(options: Partial<SensitivityOptions>): Promise<SensitivityTable> {
  return measureSensitivity({ prepared, kernels, batches, menu, ...options });
}

const close = (a: number, b: number, rel: number) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.abs(b) + 1e-9);

describe('cutAtLayer', () => {
  it('feeds the skip tensor to the suffix of the second conv of the block', () => {
    const conv2 = cutAtLayer(prepared.model, prepared.layers.find((l) => l.name === 'conv2')!);
    expect(conv2.frontier).toEqual(['r0']);
    expect(conv2.input).toBe('r1');
    expect(new Set(conv2.prefixOutputs)).toEqual(new Set(['r1', 'y2', 'r0']));
    expect(conv2.suffix?.graph.node?.map((n) => n.name)).toEqual([
      'add',
      'relu2',
      'pool',
      'flatten',
      'fc',
    ]);
  });

  it('takes the image input from the batch, and stops at the scores', () => {
    const stem = cutAtLayer(prepared.model, prepared.layers.find((l) => l.name === 'stem')!);
    expect(stem.input).toBe('x');
    expect(stem.frontier).toEqual([]);
    expect(stem.prefixOutputs).toEqual(['y0']);
    const fc = cutAtLayer(prepared.model, prepared.layers.find((l) => l.name === 'fc')!);
    expect(fc.suffix).toBeNull();
    expect(fc.reachesScores).toBe(true);
  });
});

function weightOf(name: string): Float32Array {
  return tensorToFloat32(prepared.model.graph.initializer!.find((t) => t.name === name)!);
}

describe('measureSensitivity', () => {
  it('uncalibrated: matches the whole model with the reconstructed weight swapped in', async () => {
    const factorCache = new LayerFactorCache(kernels);
    const table = await run({
      calibrate: false,
      otherWeightBits: 32,
      factorCache,
      qaf: { objective: 'published' },
    });
    expect(table.layers.map((l) => l.name)).toEqual(['conv1', 'conv2']);
    expect(table.statistics).toBeUndefined();
    expect(factorCache.misses).toBe(4);
    for (const layer of table.layers) {
      const info = prepared.layers.find((l) => l.name === layer.name)!;
      const keep = layer.options.find((o) => o.id === 'keep')!;
      expect(keep.kl).toBeLessThan(1e-9);
      expect(keep.outputError).toBeLessThan(1e-5);
      for (const option of layer.options.filter((o) => o.option !== 'keep')) {
        const job = {
          ...(option.option as CompressOption),
          shape: info.weightShape,
          objective: 'published' as const,
        };
        const layerWeight = {
          name: info.name,
          weight: weightOf(info.weightName),
          shape: info.weightShape,
        };
        const result = await factorCache.compress(layerWeight, jobKey(job));
        const direct = await wholeModelScores(
          withWeight(info.weightName, reconstruct(result), info.weightShape),
        );
        expect(option.kl).toBeGreaterThan(1e-6);
        close(option.kl, direct.kl, 1e-3);
        expect(option.agreement).toBe(direct.agreement);
        expect(option.weightError).toBe(result.error);
      }
    }
    // The lookups above were all hits: the pass made each factorization once.
    expect(factorCache.misses).toBe(4);
  });

  it('calibrated: matches the written, calibrated model of the pipeline with that one layer', async () => {
    const factorCache = new LayerFactorCache(kernels);
    const table = await run({ otherWeightBits: 32, factorCache });
    expect(table).toMatchObject({ objective: 'data', scales: DEFAULT_QAF_SCALES });
    // The table says what QAF's statistics came from (the images measured on, here).
    expect(table.statistics).toEqual({ sha256: table.dataSha256, images: table.images });
    const uncalibrated = await run({ otherWeightBits: 32, factorCache, calibrate: false });
    const misses = factorCache.misses;
    expect(table.calibrated).toBe(true);
    // Calibration changes the numbers here (else this test could not tell the two apart).
    const kls = (t: SensitivityTable) => t.layers.flatMap((l) => l.options.map((o) => o.kl));
    const moved = kls(table).map((kl, i) => Math.abs(kl - kls(uncalibrated)[i]) / (kl + 1e-12));
    expect(Math.max(...moved)).toBeGreaterThan(0.05);
    for (const layer of table.layers) {
      for (const option of layer.options.filter((o) => o.option !== 'keep')) {
        const built = await compressModel({
          prepared,
          kernels,
          // The pipeline's defaults with calibration batches: data-aware QAF on their
          // statistics (centred), the default grid scales; the pass measured exactly these.
          allocation: {
            settings: option.option as CompressOption,
            selection: { names: [layer.name] },
          },
          factorize: cachedFactorizer(factorCache),
          output: { otherWeightBits: 32 },
          calibration: { batches },
          check: false,
        });
        const direct = await wholeModelScores(built.bytes);
        close(option.kl, direct.kl, 2e-3);
        expect(option.agreement).toBe(direct.agreement);
      }
    }
    // Every build was served the pass's own factorizations.
    expect(factorCache.misses).toBe(misses);
  });

  it('per-factor scales: measured and costed as a build with scales factor', async () => {
    const factorCache = new LayerFactorCache(kernels);
    const table = await run({ otherWeightBits: 32, factorCache, qaf: { scales: 'factor' } });
    const layer = table.layers[0];
    const option = layer.options.find((o) => o.id === 'admm-r2-w4')!;
    const built = await compressModel({
      prepared,
      kernels,
      allocation: {
        settings: { method: 'admm', rate: 2, bits: 4, scales: 'factor' },
        selection: { names: [layer.name] },
      },
      factorize: cachedFactorizer(factorCache),
      output: { otherWeightBits: 32 },
      calibration: { batches },
      check: false,
    });
    expect(built.results[0].factors.some((f) => f.columnScales)).toBe(false);
    const direct = await wholeModelScores(built.bytes);
    close(option.kl, direct.kl, 2e-3);
    const fixedBytes = built.report.totals.idealWeightBytes - option.weightBytes;
    const other = table.layers[1].options.find((o) => o.id === 'keep')!;
    close(fixedBytes, table.fixed.weightBytes + other.weightBytes, 1e-12);
  });

  it('serves a repeated pass from its cache, with the same numbers', async () => {
    const cache = new MemorySensitivityCache();
    const first = await run({ cache });
    const second = await run({ cache });
    expect(first.measured).toBe(6);
    expect(second.measured).toBe(0);
    expect(second.cached).toBe(6);
    expect(second.layers).toEqual(first.layers);
    // Another data set is another key.
    const other = await measureSensitivity({
      prepared,
      kernels,
      batches: randomBatches(40, 40, 99),
      menu,
      cache,
    });
    expect(other.measured).toBe(6);
  });

  it('prefetch: the same table, each option factorized once, through a concurrent runner', async () => {
    const solved: string[] = [];
    let running = 0;
    let most = 0;
    const runner = async (job: Parameters<typeof compressLayer>[1]) => {
      solved.push(`${job.name} ${job.method} ${job.rank} ${job.bits}`);
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5)); // a worker thread's round trip
      try {
        return compressLayer(kernels, job);
      } finally {
        running--;
      }
    };
    const plain = await run({});
    const prefetched = await run({
      prefetch: true,
      factorCache: new LayerFactorCache(kernels, runner),
    });
    expect(prefetched.layers).toEqual(plain.layers);
    // Two QAF options a layer (PTQ goes through the cache too): each solved once, started together.
    expect(solved.length).toBe(new Set(solved).size);
    expect(solved.length).toBe(4);
    expect(most).toBeGreaterThan(1);
  });

  it('a serializable cache survives a round trip through JSON, by model', async () => {
    const cache = new SerializableSensitivityCache();
    const first = await run({ cache });
    expect(cache.models()).toEqual([first.modelSha256]);
    const doc = JSON.parse(JSON.stringify(cache.toJSON(first.modelSha256)));
    expect(Object.keys(doc.entries)).toHaveLength(6);
    expect(Object.values(doc.entries)[0]).toMatchObject({
      modelSha256: first.modelSha256,
      dataSha256: first.dataSha256,
      layer: 'conv1',
    });
    const reloaded = SerializableSensitivityCache.fromJSON(doc);
    const second = await run({ cache: reloaded });
    expect(second.measured).toBe(0);
    expect(second.layers).toEqual(first.layers);
    // Another setting is another key.
    const other = await run({ cache: reloaded, qaf: { scales: 'factor' } });
    expect(other.measured).toBe(2);
    expect(reloaded.deleteModel(first.modelSha256)).toBe(8);
    expect(SerializableSensitivityCache.fromJSON({ ...doc, version: 1 }).size).toBe(0);
    expect(() => SerializableSensitivityCache.fromJSON({ entries: {} })).toThrow(/not a/);
  });

  it('reports progress in one shape, monotonic, ending at 100 %, with an ETA', async () => {
    const events: SensitivityProgress[] = [];
    await run({ onProgress: (e) => events.push(e) });
    expect(events.length).toBeGreaterThan(1);
    for (let i = 1; i < events.length; i++) {
      expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);
    }
    const last = events[events.length - 1];
    expect(last).toMatchObject({ loaded: 6, total: 6, progress: 1, etaMs: 0 });
    expect(events.every((e) => e.etaMs === null || e.etaMs >= 0)).toBe(true);
  });

  it('refuses, naming the layer, activations that would not fit in memory', async () => {
    await expect(run({ maxCaptureBytes: 10_000 })).rejects.toThrow(
      /layer conv1 needs about [\d.]+ KiB of activations for 70 images \(limit 9\.8 KiB\): measure on fewer images/,
    );
  });

  it('stops on cancel with an AbortError', async () => {
    // Cancel right after the first option is measured (progress events are throttled, so a
    // fast machine may deliver none before the last one; the cache write is deterministic).
    const controller = new AbortController();
    const cache = new MemorySensitivityCache();
    const set = cache.set.bind(cache);
    cache.set = async (key, value) => {
      await set(key, value);
      controller.abort();
    };
    const pass = run({ signal: controller.signal, cache });
    await expect(pass).rejects.toMatchObject({ name: 'AbortError' });
    expect(cache.entries.size).toBe(1);
  });

  it('costs add up to the report of the written model (BOPs and ideal weight bytes)', async () => {
    const table = await run({});
    const pick = (id: string) => table.layers.map((l) => l.options.find((o) => o.id === id)!);
    const built = await compressModel({
      prepared,
      kernels,
      allocation: {
        settings: { method: 'admm', rate: 2, bits: 4 },
        selection: { spatialOnly: true },
      },
      check: false,
    });
    const bops = table.fixed.bops + pick('admm-r2-w4').reduce((s, o) => s + o.bops, 0);
    const bytes =
      table.fixed.weightBytes + pick('admm-r2-w4').reduce((s, o) => s + o.weightBytes, 0);
    close(bops, built.report.totals.bops, 1e-12);
    close(bytes, built.report.totals.idealWeightBytes, 1e-12);
    close((100 * bops) / table.floatBops, built.report.totals.bopPercent, 1e-12);
  });
});
