import { describe, expect, it } from 'vitest';
import { MemorySweepCache, PromiseMemo } from '../../src/core/sweep/cache.ts';
import { canonicalJson, configKey, sha256Hex } from '../../src/core/sweep/configKey.ts';
import { expandGrid, pointId } from '../../src/core/sweep/grid.ts';
import { runSweep } from '../../src/core/sweep/runSweep.ts';
import type { SweepMeasurement, SweepPoint } from '../../src/core/sweep/types.ts';
import type { ProgressEvent } from '../../src/core/util/progress.ts';

const context = { modelHash: 'm', dataHash: 'd', settings: { images: 100 } };

function countingEvaluator() {
  const calls: SweepPoint[] = [];
  const evaluate = async (point: SweepPoint): Promise<SweepMeasurement> => {
    calls.push(point);
    return {
      accuracy: 0.5 + (point.calibrated ? 0.1 : 0),
      agreement: 0.9,
      bopPercent: point.bits,
      sizeBytes: 1000 * point.bits,
      latencyMs: 1,
      meanError: point.rate ?? 0,
      images: 100,
    };
  };
  return { calls, evaluate };
}

describe('sweep grid', () => {
  it('expands methods x rates x bits, ptq per bit width, float once, calibrated twins', () => {
    const points = expandGrid({ methods: ['admm', 'ftq', 'cp'], rates: [1.5, 2], bits: [4, 8] });
    const ids = points.map(pointId);
    expect(ids[0]).toBe('float w32 a32');
    expect(ids).toContain('admm r2 w4 a32');
    expect(ids[ids.indexOf('admm r2 w4 a32') + 1]).toBe('admm r2 w4 a32 cal');
    expect(ids).toContain('cp r1.5 w32 a32 cal');
    expect(ids).toContain('ptq w8 a32 cal');
    // float 1 + (admm 4 + ftq 4 + cp 2 + ptq 2) x 2 calibration variants
    expect(points).toHaveLength(1 + 12 * 2);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('adds activation-bit variants and can drop calibration', () => {
    const points = expandGrid({
      methods: ['admm'],
      rates: [2],
      bits: [4],
      actBits: [null, 8],
      calibration: false,
      quantizationOnly: false,
    });
    expect(points.map(pointId)).toEqual(['float w32 a32', 'admm r2 w4 a32', 'admm r2 w4 a8']);
  });
});

describe('sweep cache keys', () => {
  it('are stable: independent of key order, equal to a fixed SHA-256', async () => {
    const a = await configKey(context, {
      method: 'admm',
      rate: 2,
      bits: 4,
      actBits: null,
      calibrated: true,
    });
    const b = await configKey(
      { settings: { images: 100 }, dataHash: 'd', modelHash: 'm' },
      { calibrated: true, actBits: null, bits: 4, rate: 2, method: 'admm' },
    );
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    const c = await configKey(context, {
      method: 'admm',
      rate: 2,
      bits: 4,
      actBits: null,
      calibrated: false,
    });
    expect(c).not.toBe(a);
    expect(canonicalJson({ b: 1, a: [2, { d: undefined, c: 3 }] })).toBe('{"a":[2,{"c":3}],"b":1}');
    // Known vector (FIPS 180-2): SHA-256("abc").
    expect(await sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('runSweep', () => {
  it('evaluates each point once; a repeated sweep costs no evaluation', async () => {
    const points = expandGrid({ methods: ['admm'], rates: [2], bits: [4] });
    const cache = new MemorySweepCache();
    const first = countingEvaluator();
    const rows = await runSweep({ points, context, evaluate: first.evaluate, cache });
    expect(first.calls).toHaveLength(points.length);
    expect(rows.every((r) => !r.cached)).toBe(true);

    const second = countingEvaluator();
    const again = await runSweep({ points, context, evaluate: second.evaluate, cache });
    expect(second.calls).toHaveLength(0);
    expect(again.every((r) => r.cached)).toBe(true);
    expect(again.map(({ cached: _, ...r }) => r)).toEqual(rows.map(({ cached: _, ...r }) => r));

    // A different model hash is a different key: everything is evaluated again.
    const third = countingEvaluator();
    await runSweep({
      points,
      context: { ...context, modelHash: 'other' },
      evaluate: third.evaluate,
      cache,
    });
    expect(third.calls).toHaveLength(points.length);
  });

  it('reports monotonic progress ending at 1 and stops between points on abort', async () => {
    const points = expandGrid({ methods: ['admm', 'ftq'], rates: [2], bits: [4] });
    const events: ProgressEvent[] = [];
    await runSweep({
      points,
      context,
      evaluate: countingEvaluator().evaluate,
      onProgress: (e) => events.push(e),
    });
    const progress = events.map((e) => e.progress);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1])).toBe(true);

    const controller = new AbortController();
    const { calls, evaluate } = countingEvaluator();
    const stopping = async (p: SweepPoint) => {
      if (calls.length === 2) controller.abort();
      return evaluate(p);
    };
    await expect(
      runSweep({ points, context, evaluate: stopping, signal: controller.signal }),
    ).rejects.toThrow();
    expect(calls).toHaveLength(3);
  });
});

describe('PromiseMemo', () => {
  it('shares one computation per key, retries after a failure, evicts the oldest', async () => {
    const memo = new PromiseMemo<number>(2);
    let runs = 0;
    const compute = async () => ++runs;
    expect(await Promise.all([memo.get('a', compute), memo.get('a', compute)])).toEqual([1, 1]);
    await expect(memo.get('bad', () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await memo.get('bad', compute)).toBe(2);
    await memo.get('c', compute);
    expect(memo.size).toBe(2);
    expect(await memo.get('a', compute)).toBe(4);
  });
});
