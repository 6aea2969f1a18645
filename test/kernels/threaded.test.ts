// In-layer threads (src/core/kernels/threaded.ts): big calls split across helper threads give
// bitwise the results of the wasm kernels alone, on odd sizes, every transpose, strided
// operands and beta != 0; the gaps of strided outputs are left alone; helpers that leave are
// never waited for; the threads end cleanly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelHelpers } from '../../src/cli/kernelThreads.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { evenBounds, threadedKernels, triangleBounds } from '../../src/core/kernels/threaded.ts';
import { createTeam, EMPTY, IDLE, TeamControl } from '../../src/core/kernels/threadedTeam.ts';
import { gaussianF32, randomF32, rng } from './reference.ts';

const base = await loadKernels();

describe('split bounds', () => {
  it('covers every item once, in order, near-equal', () => {
    expect(evenBounds(100, 2)).toEqual([0, 48, 100]);
    expect(evenBounds(5, 3, 1)).toEqual([0, 2, 3, 5]);
    const t = triangleBounds(1141, 2);
    const area = (lo: number, hi: number) => (hi - lo) * 1141 - (hi * (hi - 1) - lo * (lo - 1)) / 2;
    expect(t[0]).toBe(0);
    expect(t[2]).toBe(1141);
    expect(Math.abs(area(0, t[1]) - area(t[1], 1141)) / area(0, 1141)).toBeLessThan(0.02);
  });
});

describe.skipIf(base.name === 'js')('threaded kernels over wasm helpers', () => {
  let helpers: KernelHelpers;
  beforeAll(async () => {
    helpers = new KernelHelpers(base, 2, { minMacs: 1, minProjectValues: 1 });
    await helpers.ready;
  }, 60_000);
  afterAll(async () => {
    await helpers?.close();
  });

  const sizes: [number, number, number][] = [
    [33, 7, 5],
    [7, 97, 3],
    [130, 67, 260],
    [67, 129, 300],
    [257, 41, 513],
  ];

  it('sgemm is bitwise the base kernel, rows or columns split, any transposes', () => {
    const k = helpers.kernels;
    const before = k.stats.helperShares;
    for (const [m, n, kk] of sizes) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ]) {
        for (const [pad, alpha, beta] of [
          [0, 1, 0],
          [3, -0.7, 0.45],
        ]) {
          const next = rng(m * 31 + n + kk * 7 + pad);
          const lda = (ta ? m : kk) + pad;
          const ldb = (tb ? kk : n) + pad;
          const ldc = n + pad;
          const a = randomF32((ta ? kk : m) * lda, next);
          const b = randomF32((tb ? n : kk) * ldb, next);
          const c = randomF32(m * ldc, next);
          const want = c.slice();
          base.sgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, want, ldc);
          const got = c.slice();
          k.sgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, got, ldc);
          expect(got).toEqual(want);
        }
      }
    }
    expect(k.stats.helperShares).toBeGreaterThan(before);
  });

  it('gram is bitwise the base kernel and exactly symmetric', () => {
    const k = helpers.kernels;
    const before = k.stats.helperShares;
    for (const [rows, cols] of [
      [9, 97],
      [33, 301],
      [512, 67],
      [5, 1],
    ]) {
      const a = gaussianF32(rows * cols + 3, rng(rows + cols));
      expect(k.gram(a, rows, cols)).toEqual(base.gram(a, rows, cols));
      const out = new Float32Array(cols * cols).fill(Number.NaN);
      k.gram(a, rows, cols, out);
      expect(out).toEqual(base.gram(a, rows, cols));
    }
    expect(k.stats.helperShares).toBeGreaterThan(before);
  });

  it('per-channel projection is bitwise the base kernel', () => {
    const k = helpers.kernels;
    const before = k.stats.helperShares;
    for (const [channels, rowLen, bits] of [
      [3, 7, 4],
      [97, 33, 4],
      [566, 256, 3],
    ]) {
      const x = gaussianF32(channels * rowLen, rng(channels * rowLen));
      const opts = { channels, candidates: 50 };
      expect(k.projectToGrid(x, bits, opts)).toEqual(base.projectToGrid(x, bits, opts));
    }
    const x = gaussianF32(999, rng(5));
    expect(k.projectToGrid(x, 4)).toEqual(base.projectToGrid(x, 4));
    expect(k.stats.helperShares).toBeGreaterThan(before);
  });

  it('passes errors through and stays usable', () => {
    const k = helpers.kernels;
    expect(() => k.projectToGrid(new Float32Array(10), 4, { channels: 3 })).toThrow();
    const a = randomF32(64 * 64, rng(9));
    expect(k.gram(a, 64, 64)).toEqual(base.gram(a, 64, 64));
  });
});

describe('a helper that never wakes (a busy machine)', () => {
  it('leaves its chunks to the owner, which neither waits nor changes a bit', () => {
    const team = createTeam(1);
    const control = new TeamControl(team);
    // Slot 0 looks joined, but no thread serves it: it never starts the calls it is handed.
    expect(control.move(0, EMPTY, IDLE)).toBe(true);
    const k = threadedKernels(base, team, { minMacs: 1, minProjectValues: 1 });
    const a = randomF32(70 * 90, rng(21));
    const b = randomF32(90 * 50, rng(22));
    const want = new Float32Array(70 * 50);
    base.sgemm(false, false, 70, 50, 90, 1, a, 90, b, 50, 0, want, 50);
    const got = new Float32Array(70 * 50);
    k.sgemm(false, false, 70, 50, 90, 1, a, 90, b, 50, 0, got, 50);
    expect(got).toEqual(want);
    expect(k.gram(a, 70, 90)).toEqual(base.gram(a, 70, 90));
    const x = gaussianF32(40 * 33, rng(23));
    expect(k.projectToGrid(x, 4, { channels: 40 })).toEqual(
      base.projectToGrid(x, 4, { channels: 40 }),
    );
    expect(k.stats.splitCalls).toBe(3);
    expect(k.stats.helperShares).toBe(0);
    expect(control.state(0)).toBe(IDLE); // revoked each time, free for the next call
  });
});

describe('threaded kernels without helpers', () => {
  it('run every call on the base kernels', () => {
    const k = threadedKernels(base, createTeam(2), { minMacs: 1 });
    const a = randomF32(40 * 50, rng(3));
    expect(k.gram(a, 40, 50)).toEqual(base.gram(a, 40, 50));
    expect(k.stats.splitCalls).toBe(0);
  });
});
