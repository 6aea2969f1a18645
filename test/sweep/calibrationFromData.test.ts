// Calibration images taken from the evaluation data: disjoint from the images evaluated,
// class-balanced, from outside the evaluated subset when there is room, else at most half of it;
// said in words; too few images warned about; a calibration set that cannot feed the model
// refused with both shapes named.
import { describe, expect, it } from 'vitest';
import {
  calibrationCountWarning,
  calibrationDataProblem,
  calibrationFromEvaluation,
} from '../../src/core/calibrate/fromData.ts';
import { calibrationSplit, rangeIndices, subsetIndices } from '../../src/core/data/subset.ts';

/** `perClass` images of each of 10 classes, interleaved. */
const labelled = (perClass: number) => {
  const count = 10 * perClass;
  return { count, labels: Int32Array.from({ length: count }, (_, i) => i % 10) };
};

const classCounts = (labels: Int32Array, indices: Int32Array) => {
  const counts = new Array(10).fill(0);
  for (const i of indices) counts[labels[i]]++;
  return counts;
};

const disjoint = (a: Int32Array, b: Int32Array) => {
  const set = new Set(a);
  return b.every((i) => !set.has(i));
};

describe('calibrationSplit', () => {
  it('takes calibration from the evaluated images when there is no room outside (the demo)', () => {
    const data = labelled(100);
    const all = rangeIndices(data.count);
    const split = calibrationFromEvaluation(data, all, 256);
    expect(split.fromEvaluated).toBe(true);
    expect(split.calibration).toHaveLength(256);
    expect(split.evaluation).toHaveLength(744);
    expect(disjoint(split.calibration, split.evaluation)).toBe(true);
    const counts = classCounts(data.labels, split.calibration);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(split.statement).toBe('calibrated on 256 of your images, evaluated on the other 744');
    expect(split.warning).toBeNull();
    // Deterministic: the build and the evaluation make the same split.
    expect(calibrationFromEvaluation(data, all, 256).calibration).toEqual(split.calibration);
  });

  it('leaves the evaluated subset alone when the rest of the data has enough images', () => {
    const data = labelled(1000);
    const quick = subsetIndices(data, 'quick', 1000);
    const split = calibrationFromEvaluation(data, quick, 1024);
    expect(split.fromEvaluated).toBe(false);
    expect(split.evaluation).toEqual(quick);
    expect(split.calibration).toHaveLength(1024);
    expect(disjoint(split.calibration, quick)).toBe(true);
    const counts = classCounts(data.labels, split.calibration);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(split.statement).toBe(
      'calibrated on 1,024 of your images, none of them among the 1,000 evaluated',
    );
  });

  it('takes at most half of the evaluated images, evenly spaced when unlabelled', () => {
    const split = calibrationSplit({ count: 300, labels: null }, rangeIndices(300), 256);
    expect(split.calibration).toHaveLength(150);
    expect(split.evaluation).toHaveLength(150);
    expect(Array.from(split.calibration.slice(0, 3))).toEqual([0, 2, 4]);
    expect(disjoint(split.calibration, split.evaluation)).toBe(true);
  });

  it('warns with 1 or 8 images, and calibrates on nothing rather than on everything', () => {
    const one = calibrationFromEvaluation(labelled(1), rangeIndices(10), 1);
    expect(one.calibration).toHaveLength(1);
    expect(one.evaluation).toHaveLength(9);
    expect(one.warning).toMatch(/only 1 calibration image:/);
    const eight = calibrationFromEvaluation(labelled(4), rangeIndices(40), 8);
    expect(eight.calibration).toHaveLength(8);
    expect(eight.warning).toMatch(/only 8 calibration images/);
    const none = calibrationFromEvaluation({ count: 1, labels: null }, rangeIndices(1), 256);
    expect(none.calibration).toHaveLength(0);
    expect(none.evaluation).toHaveLength(1);
    expect(none.statement).toMatch(/^not calibrated/);
    expect(calibrationCountWarning(256)).toBeNull();
  });
});

describe('calibrationDataProblem', () => {
  const cifarModel = ['batch', 3, 32, 32];
  const images = (width: number, height: number, channels: number, float = false) => ({
    width,
    height,
    channels,
    pixelType: float ? ('float32' as const) : ('uint8' as const),
  });

  it('refuses ready-made float inputs of another shape, naming both', () => {
    expect(calibrationDataProblem(cifarModel, images(64, 64, 3, true))).toBe(
      'calibration inputs are 64x64x3 float values, used as they are, but the model input is ' +
        '[batch, 3, 32, 32] (NCHW)',
    );
    expect(calibrationDataProblem(cifarModel, images(32, 32, 1, true))).toMatch(/32x32x1 float/);
    expect(calibrationDataProblem([1, 224, 224, 3], images(224, 224, 1, true))).toBe(
      'calibration inputs are 224x224x1 float values, used as they are, but the model input is ' +
        '[1, 224, 224, 3] (NHWC)',
    );
    expect(calibrationDataProblem([1, 224, 112, 3], images(112, 224, 3, true))).toBeNull();
    expect(calibrationDataProblem(cifarModel, images(32, 32, 3, true))).toBeNull();
    expect(calibrationDataProblem(['batch', 3, 'h', 'w'], images(64, 64, 3, true))).toBeNull();
  });

  it('takes pixel images the preprocessing converts (resize, grey <-> colour), as evaluation does', () => {
    expect(calibrationDataProblem(cifarModel, images(64, 64, 3))).toBeNull();
    expect(calibrationDataProblem(cifarModel, images(28, 28, 1))).toBeNull();
    expect(calibrationDataProblem(['batch', 1, 28, 28], images(32, 32, 3))).toBeNull();
    expect(calibrationDataProblem(cifarModel, images(32, 32, 4))).toBe(
      'calibration images are 32x32x4 but the model input is [batch, 3, 32, 32] (NCHW): ' +
        '4 channels against 3',
    );
  });
});
