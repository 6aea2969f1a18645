import { describe, expect, it } from 'vitest';
import {
  FOCUS_BAND,
  focusDomain,
  logTicks,
  makeScale,
  niceTicks,
  paddedDomain,
} from '../../../src/app/workbench/chartScale.ts';
import { paretoFront } from '../../../src/app/workbench/pareto.ts';

describe('chart scales', () => {
  it('nice ticks are round and cover the range', () => {
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(81.3, 90.9, 5)).toEqual([82, 84, 86, 88, 90]);
    expect(niceTicks(4.1, 25.3, 3)).toEqual([10, 20]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  it('log ticks are 1, 2, 5 times powers of ten inside the domain', () => {
    expect(logTicks(3.5, 31)).toEqual([5, 10, 20]);
    expect(logTicks(0.01, 1e4)).toEqual([0.01, 0.1, 1, 10, 100, 1000, 10000]);
  });

  it('maps the domain onto pixels, linear or log', () => {
    const y = makeScale([80, 90], [200, 0]);
    expect(y(80)).toBe(200);
    expect(y(85)).toBe(100);
    const x = makeScale([1, 100], [0, 200], true);
    expect(x(10)).toBeCloseTo(100);
    expect(x.log).toBe(true);
  });

  it('padded domains stay positive on a log axis', () => {
    expect(paddedDomain([4.5, 25], true)[0]).toBeGreaterThan(0);
    expect(paddedDomain([], false)).toEqual([0, 1]);
    const [lo, hi] = paddedDomain([4.5, 25, Number.NaN], false);
    expect(lo).toBeLessThan(4.5);
    expect(hi).toBeGreaterThan(25);
  });

  it('the accuracy axis zooms to the points worth choosing; far lower ones sit below it', () => {
    // The demo: front points at 35.8 (cheapest, uncalibrated), 82.2 ... 90.3, float 90.
    const [lo, hi] = focusDomain([35.8, 82.2, 86.9, 89.3, 90.3, 90], [10, 13.7, 35.8, 90.3]);
    expect(lo).toBeLessThanOrEqual(82.2);
    expect(lo).toBeGreaterThan(90.3 - FOCUS_BAND);
    expect(hi).toBeGreaterThanOrEqual(90.3);
    expect(hi).toBeLessThanOrEqual(100);
    // Everything close together still spans a readable range.
    const [a, b] = focusDomain([89.9, 90], [90]);
    expect(b - a).toBeGreaterThanOrEqual(6);
    expect(focusDomain([], [])).toEqual([0, 100]);
  });
});

describe('Pareto front', () => {
  it('keeps the points no other point beats on cost and accuracy, cheapest first', () => {
    const points = [
      { x: 5, y: 82 },
      { x: 5, y: 35 },
      { x: 7, y: 87 },
      { x: 9, y: 85 },
      { x: 9, y: 89 },
      { x: 17, y: 89 },
      { x: 25, y: 90.3 },
      { x: Number.NaN, y: 99 },
    ];
    const front = paretoFront(
      points,
      (p) => p.x,
      (p) => p.y,
    );
    expect(front).toEqual([
      { x: 5, y: 82 },
      { x: 7, y: 87 },
      { x: 9, y: 89 },
      { x: 25, y: 90.3 },
    ]);
    expect(
      paretoFront(
        [],
        () => 0,
        () => 0,
      ),
    ).toEqual([]);
  });
});
