import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SWEEP_CHOICE,
  estimateSweepSeconds,
  formatDuration,
  sweepGridSpec,
  sweepPointCount,
  toggled,
} from '../../../src/app/workbench/sweepGrid.ts';

const resnet20 = { params: 269_034, macs: 40_551_424, images: 1000 };

describe('sweep grid', () => {
  it('counts the default grid: float + (ADMM, FTQ: 3 rates × 2 bits, PTQ: 2 bits), twins when calibrating', () => {
    expect(sweepPointCount(DEFAULT_SWEEP_CHOICE, false)).toBe(1 + 6 + 6 + 2);
    expect(sweepPointCount(DEFAULT_SWEEP_CHOICE, true)).toBe(1 + 2 * (6 + 6 + 2));
  });

  it('leaves PTQ out when unchecked, and counts nothing for an empty choice', () => {
    const noPtq = { ...DEFAULT_SWEEP_CHOICE, methods: ['admm' as const] };
    expect(sweepGridSpec(noPtq, false).quantizationOnly).toBe(false);
    expect(sweepPointCount(noPtq, false)).toBe(1 + 6);
    expect(sweepPointCount({ ...DEFAULT_SWEEP_CHOICE, bits: [] }, false)).toBe(0);
    expect(sweepPointCount({ ...DEFAULT_SWEEP_CHOICE, methods: [] }, false)).toBe(0);
    // PTQ alone needs no rate.
    expect(sweepPointCount({ methods: ['ptq'], rates: [], bits: [4, 8] }, false)).toBe(3);
  });

  it('sorts rates and bits for the core grid', () => {
    const spec = sweepGridSpec({ methods: ['ftq'], rates: [3, 1.5], bits: [8, 4] }, true);
    expect(spec).toMatchObject({ rates: [1.5, 3], bits: [4, 8], calibration: true });
  });

  it('estimates more time for more points, images and parameters', () => {
    const base = estimateSweepSeconds(DEFAULT_SWEEP_CHOICE, false, resnet20);
    expect(base).toBeGreaterThan(30);
    expect(estimateSweepSeconds(DEFAULT_SWEEP_CHOICE, true, resnet20)).toBeGreaterThan(base);
    expect(
      estimateSweepSeconds(DEFAULT_SWEEP_CHOICE, false, { ...resnet20, images: 10_000 }),
    ).toBeGreaterThan(base);
    expect(
      estimateSweepSeconds(DEFAULT_SWEEP_CHOICE, false, { ...resnet20, params: 850_986 }),
    ).toBeGreaterThan(base);
    expect(estimateSweepSeconds({ ...DEFAULT_SWEEP_CHOICE, methods: [] }, false, resnet20)).toBe(0);
  });

  it('prices calibration by its images and layers: the demo grid is in the range measured', () => {
    // npm run demo:sweep measured the default grid with calibration (29 points, 1,000 images)
    // at 960 s; the old constants said about 3 min.
    const demo = estimateSweepSeconds(DEFAULT_SWEEP_CHOICE, true, { ...resnet20, images: 1000 });
    expect(demo).toBeGreaterThan(600);
    expect(demo).toBeLessThan(1800);
    const fewerLayers = { ...resnet20, images: 1000, layers: 4 };
    expect(estimateSweepSeconds(DEFAULT_SWEEP_CHOICE, true, fewerLayers)).toBeLessThan(demo);
  });

  it('formats durations and toggles values', () => {
    expect(formatDuration(12)).toBe('about 10 s');
    expect(formatDuration(400)).toBe('about 7 min');
    expect(formatDuration(5400)).toBe('about 1.5 h');
    expect(toggled([1, 2], 2)).toEqual([1]);
    expect(toggled([1], 3)).toEqual([1, 3]);
  });
});
