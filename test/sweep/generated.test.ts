// The whole sweep on generated data, so it runs without ../shared: a tiny conv classifier and
// in-memory images, every point compressed, written, calibrated on other images and evaluated
// in onnxruntime-web, then a second run served from the cache.
//
// The evaluation labels are the float model's own predictions: then the float model scores 1,
// and every point's accuracy must equal its agreement with the float model, which ties the two
// measurements together without needing a trained network.
import { describe, expect, it } from 'vitest';
import { evaluateModel } from '../../src/core/eval/evaluate.ts';
import { MemorySweepCache } from '../../src/core/sweep/cache.ts';
import { expandGrid, pointId } from '../../src/core/sweep/grid.ts';
import { runModelSweep } from '../../src/core/sweep/modelSweep.ts';
import type { SweepGridSpec, SweepRow } from '../../src/core/sweep/types.ts';
import { generatedImages, tinyClassifierBytes } from '../support/generated.ts';

const EVAL_IMAGES = 48;
const CALIBRATION_IMAGES = 32;

const grid: SweepGridSpec = {
  methods: ['admm', 'ptq'],
  rates: [2],
  bits: [4, 8],
  calibration: true,
  includeFloat: true,
};

const PATTERN_SEED = 101;

async function fixtures() {
  const modelBytes = tinyClassifierBytes(1);
  const images = (noiseSeed: number, count: number, labels: Int32Array | null = null) =>
    generatedImages(count, { patternSeed: PATTERN_SEED, noiseSeed, labels });
  const unlabelled = images(1, EVAL_IMAGES).dataset;
  const float = await evaluateModel({ modelBytes, dataset: unlabelled, latencyRuns: 0 });
  const evaluation = images(1, EVAL_IMAGES, float.predictions);
  // Other images than the evaluation's (other noise, same kinds of image), unlabelled like a
  // training subset.
  const calibration = images(2, CALIBRATION_IMAGES);
  return { modelBytes, evaluation, calibration, floatPredictions: float.predictions };
}

describe('runModelSweep on a generated classifier and generated images', () => {
  it('measures every point, calibrated twins included, and serves a repeat from the cache', async () => {
    const { modelBytes, evaluation, calibration, floatPredictions } = await fixtures();
    // The images tell the classes apart: the float model does not answer one class for all.
    expect(new Set(floatPredictions).size).toBeGreaterThan(1);

    const cache = new MemorySweepCache();
    const sweep = () =>
      runModelSweep({
        modelBytes,
        dataset: evaluation.dataset,
        dataBytes: evaluation.bytes,
        grid,
        calibration: {
          dataset: calibration.dataset,
          dataBytes: calibration.bytes,
          images: CALIBRATION_IMAGES,
        },
        layers: 'spatial',
        latencyRuns: 0,
        cache,
      });

    const first = await sweep();
    expect(first.layers).toEqual(['conv2']);
    expect(first.images).toBe(EVAL_IMAGES);
    expect(first.calibrationImages).toBe(CALIBRATION_IMAGES);

    // float, then (admm r2, ptq) x (w4, w8), each followed by its calibrated twin.
    const ids = first.rows.map(pointId);
    expect(ids).toEqual(expandGrid(grid).map(pointId));
    expect(ids).toEqual([
      'float w32 a32',
      'admm r2 w4 a32',
      'admm r2 w4 a32 cal',
      'admm r2 w8 a32',
      'admm r2 w8 a32 cal',
      'ptq w4 a32',
      'ptq w4 a32 cal',
      'ptq w8 a32',
      'ptq w8 a32 cal',
    ]);
    expect(first.evaluations).toBe(ids.length);
    expect(first.rows.every((r) => !r.cached)).toBe(true);
    // With calibration images QAF is data-aware: its calibrated twins are solved for the centred
    // statistics (factors of their own); PTQ's twins reuse their twin's model.
    expect(first.objective).toBe('data');
    expect(first.factorizations.computed).toBe(6);

    for (const row of first.rows) checkRow(row);
    const float = first.rows[0];
    expect(float).toMatchObject({ accuracy: 1, agreement: 1, bopPercent: 100, meanError: 0 });
    expect(float.sizeBytes).toBe(modelBytes.length);
    // Every weight at 8 bits or fewer: every written model is smaller than the float file.
    for (const r of first.rows.slice(1))
      expect(r.sizeBytes, pointId(r)).toBeLessThan(float.sizeBytes);

    const row = (id: string) => first.rows.find((r) => pointId(r) === id)!;
    // More bits, smaller weight error, for both methods. (QAF's error stays near 0.5: a random,
    // untrained conv has no low-rank structure for rate 2 to keep.)
    expect(row('admm r2 w8 a32').meanError).toBeLessThan(row('admm r2 w4 a32').meanError);
    expect(row('ptq w8 a32').meanError).toBeLessThan(row('ptq w4 a32').meanError);
    expect(row('ptq w8 a32').meanError).toBeLessThan(0.01);
    // Calibration rewrites scales and biases, never the weight error measured before it (PTQ;
    // data-aware QAF's twins have factors of their own, at the same cost).
    for (const base of ['admm r2 w4 a32', 'admm r2 w8 a32', 'ptq w4 a32', 'ptq w8 a32']) {
      const twin = row(`${base} cal`);
      if (base.startsWith('ptq')) expect(twin.meanError).toBe(row(base).meanError);
      expect(twin.bopPercent).toBeCloseTo(row(base).bopPercent, 10);
    }
    // At 8 bits the compressed model still answers like the float one on most images.
    expect(row('ptq w8 a32').agreement).toBeGreaterThanOrEqual(0.9);

    const second = await sweep();
    expect(second.evaluations).toBe(0);
    expect(second.factorizations.computed).toBe(0);
    expect(second.rows.every((r) => r.cached)).toBe(true);
    const strip = (rows: SweepRow[]) => rows.map(({ cached: _, ...r }) => r);
    expect(strip(second.rows)).toEqual(strip(first.rows));
  });

  it('refuses a layer selection with nothing to factorize before evaluating anything', async () => {
    const { dataset, bytes } = generatedImages(4, { patternSeed: PATTERN_SEED, noiseSeed: 3 });
    // fc (64 weights) and conv1 (432) are below the factorization threshold.
    await expect(
      runModelSweep({
        modelBytes: tinyClassifierBytes(1),
        dataset,
        dataBytes: bytes,
        grid,
        layers: ['fc', 'conv1'],
        latencyRuns: 0,
      }),
    ).rejects.toThrow('sweep: no layer to compress in this model');
  });
});

function checkRow(r: SweepRow) {
  const id = pointId(r);
  expect(r.images, id).toBe(EVAL_IMAGES);
  for (const v of [r.accuracy, r.agreement]) {
    expect(v, id).toBeGreaterThanOrEqual(0);
    expect(v, id).toBeLessThanOrEqual(1);
  }
  // Labels are the float model's predictions (see the header).
  expect(r.accuracy, id).toBe(r.agreement);
  expect(Number.isInteger(r.accuracy * EVAL_IMAGES), id).toBe(true);
  if (r.method === 'float') return;
  expect(r.bopPercent, id).toBeGreaterThan(0);
  expect(r.bopPercent, id).toBeLessThan(100);
  expect(r.meanError, id).toBeGreaterThan(0);
  expect(r.meanError, id).toBeLessThan(1);
  expect(r.sizeBytes, id).toBeGreaterThan(0);
}
