import { describe, expect, it } from 'vitest';
import { runEta, sweepEta } from '../../../src/app/workbench/eta.ts';

describe('sweep ETA', () => {
  it('uses the rough estimate until a fresh point has been measured', () => {
    expect(sweepEta(0, [], 10, 0, 30)).toEqual({ seconds: 300, measured: false });
    // Cached points are free: they do not change the rate.
    const cached = [
      { atMs: 100, cached: true },
      { atMs: 200, cached: true },
    ];
    expect(sweepEta(0, cached, 10, 200, 30)).toEqual({ seconds: 240, measured: false });
  });

  it('then from the measured seconds per fresh point, minus the point in flight', () => {
    const done = [
      { atMs: 100, cached: true },
      { atMs: 20_100, cached: false },
      { atMs: 40_100, cached: false },
    ];
    // 20 s per fresh point, 7 points left, the eighth 5 s under way.
    const eta = sweepEta(0, done, 10, 45_100, 60);
    expect(eta.measured).toBe(true);
    expect(eta.seconds).toBeCloseTo(7 * 20 - 5);
    expect(sweepEta(0, done, 3, 50_000, 60).seconds).toBe(0);
  });
});

describe('run ETA', () => {
  it('waits for something to measure, then extrapolates the measured rate', () => {
    expect(runEta(0, 0.5, 1000)).toBeNull();
    expect(runEta(0, 0.01, 10_000)).toBeNull();
    // A quarter done in 10 s: 30 s left.
    expect(runEta(0, 0.25, 10_000)).toBeCloseTo(30);
    expect(runEta(0, 1, 10_000)).toBe(0);
  });
});
