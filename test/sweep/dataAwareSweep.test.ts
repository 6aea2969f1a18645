// A sweep with calibration images solves QAF for the layers' inputs on them (data-aware, issue
// #13): the statistics are taken once, uncalibrated points weigh by the second moment, calibrated
// twins by the centred channel moment, and neither the points' keys nor the layers' keys are
// those of the published objective. On the generated tiny classifier, so it runs without ../shared.
import { describe, expect, it } from 'vitest';
import { parseSweepArgs } from '../../src/cli/sweep.ts';
import { compressLayer } from '../../src/core/factor/compressLayer.ts';
import type { CompressJob, LayerResult } from '../../src/core/factor/types.ts';
import { jsKernels } from '../../src/core/kernels/index.ts';
import { MemorySweepCache } from '../../src/core/sweep/cache.ts';
import { momentsHash } from '../../src/core/sweep/layerCache.ts';
import { runModelSweep } from '../../src/core/sweep/modelSweep.ts';
import type { SweepGridSpec } from '../../src/core/sweep/types.ts';
import { generatedImages, tinyClassifierBytes } from '../support/generated.ts';

const grid: SweepGridSpec = {
  methods: ['admm'],
  rates: [2],
  bits: [4],
  calibration: true,
  includeFloat: false,
  quantizationOnly: false,
};

describe('qaf sweep with calibration images: data-aware QAF', () => {
  it('solves the QAF points for the layers inputs, keyed apart from the published objective', async () => {
    const modelBytes = tinyClassifierBytes(1);
    const images = (noiseSeed: number, count: number) =>
      generatedImages(count, { patternSeed: 101, noiseSeed, labels: null });
    const evaluation = images(1, 16);
    const calibration = images(2, 32);
    const cache = new MemorySweepCache();
    const jobs: CompressJob[] = [];
    const results: LayerResult[] = [];
    const sweep = (objective?: 'published') =>
      runModelSweep({
        modelBytes,
        dataset: evaluation.dataset,
        dataBytes: evaluation.bytes,
        grid,
        calibration: { dataset: calibration.dataset, dataBytes: calibration.bytes, images: 32 },
        objective,
        latencyRuns: 0,
        kernels: jsKernels,
        cache,
        compressJob: async (job) => {
          jobs.push(job);
          const result = compressLayer(jsKernels, job);
          results.push(result);
          return result;
        },
      });

    const data = await sweep();
    expect(data.objective).toBe('data');
    expect(data.momentImages).toBe(32);
    expect(data.objectiveNote).toBeNull();
    expect(data.context.settings.qafObjective).toBe('data');
    // conv2, uncalibrated (second moment) and calibrated twin (centred): two factorizations.
    expect(jobs.map((j) => [j.name, j.objective, j.inputMoments?.centre ?? false])).toEqual([
      ['conv2', 'data', false],
      ['conv2', 'data', true],
    ]);
    expect(jobs[0].inputMoments?.images).toBe(32);
    expect(results.map((r) => r.objective)).toEqual(['data', 'data']);
    expect(results.every((r) => !r.warning && Number.isFinite(r.outputError))).toBe(true);
    // The two twins' statistics hash apart, so the layer cache keeps them apart.
    const [plain, centred] = await Promise.all(jobs.map((j) => momentsHash(j.inputMoments!)));
    expect(plain).not.toBe(centred);

    const published = await sweep('published');
    expect(published.objective).toBe('published');
    expect(published.momentImages).toBe(0);
    // Nothing served from the data-aware entries: both points evaluated again.
    expect(published.evaluations).toBe(2);
    expect(published.rows.every((r) => !r.cached)).toBe(true);
    expect(cache.entries.size).toBe(4);
    // One published factorization serves both twins.
    expect(jobs.slice(2).map((j) => [j.objective, j.inputMoments])).toEqual([
      [undefined, undefined],
    ]);
    expect(results[2].objective).toBe('published');
  });

  it('takes --qaf-objective and refuses data without calibration images', () => {
    const base = ['m.onnx', '--data', 'd.npy'];
    expect(parseSweepArgs(base)?.objective).toBeUndefined();
    expect(parseSweepArgs([...base, '--qaf-objective', 'published'])?.objective).toBe('published');
    expect(() => parseSweepArgs([...base, '--qaf-objective', 'weights'])).toThrow(
      '--qaf-objective must be published or data, got "weights"',
    );
    expect(() => parseSweepArgs([...base, '--qaf-objective', 'data', '--no-calibration'])).toThrow(
      '--qaf-objective data needs calibration images',
    );
  });
});
