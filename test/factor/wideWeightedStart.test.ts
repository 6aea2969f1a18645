import { describe, expect, it } from 'vitest';
import type { AdmmParams } from '../../src/core/factor/admm.ts';
import { cpAls } from '../../src/core/factor/cpAls.ts';
import type { ModeWeights } from '../../src/core/factor/inputMoments.ts';
import {
  admmWeightedCp,
  weightedAlsStart,
  weightedRelativeError,
} from '../../src/core/factor/weightedAdmm.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { mulberry32 } from '../../src/core/util/prng.ts';
import { cpTensor } from './synthetic.ts';

const kernels = await loadKernels();

/** rho^|i - j|: symmetric positive definite, correlated like neighbouring inputs. */
function correlated(n: number, rho: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = rho ** Math.abs(i - j);
  return m;
}

describe('data-aware QAF start on wide layers (row solves, start sweeps)', () => {
  const dims = [12, 10, 9];
  const rank = 8;
  const next = mulberry32(5);
  const x = cpTensor(kernels, dims, rank, 7, 4).x.map((v) => v + 0.2 * (next() - 0.5));
  const start = cpAls(kernels, x, dims, rank, { maxIterations: 20 }).factors;
  // Mode 2's W has a null direction (row solves leave it at RHS / rho, as the eigenbases do).
  const w2 = correlated(9, 0.5);
  for (let j = 0; j < 9; j++) {
    w2[4 * 9 + j] = 0;
    w2[j * 9 + 4] = 0;
  }
  const weights: ModeWeights = [null, correlated(10, 0.6), w2];
  // wideFromRank lowered to this layer's rank makes it "wide" without a 512-rank solve.
  const run = (params: Partial<AdmmParams>, startSweeps?: number) =>
    admmWeightedCp(kernels, x, dims, start, rank, 8, weights, {
      scales: 'component',
      params: { wideComponentOuter: 0, maxOuter: 3, ...params },
      startSweeps,
    });

  it('solves the same Sylvester equations row by row as through the eigenbases', () => {
    const error = (h: Float32Array[]) => weightedRelativeError(kernels, x, dims, h, rank, weights);
    for (const sweeps of [1, 5]) {
      const eigen = error(weightedAlsStart(kernels, x, dims, start, rank, weights, sweeps, 0));
      const rows = error(weightedAlsStart(kernels, x, dims, start, rank, weights, sweeps, 16));
      expect(eigen).toBeLessThan(0.1);
      expect(Math.abs(rows / eigen - 1)).toBeLessThan(1e-4);
    }
    // Fewer rows than the weighted modes have: only the eigenbases.
    expect(weightedAlsStart(kernels, x, dims, start, rank, weights, 2, 8)).toEqual(
      weightedAlsStart(kernels, x, dims, start, rank, weights, 2, 0),
    );
    // Through admmWeightedCp, 4 bits: the same error to the projection's noise.
    const admm = (rowSolves: number) =>
      admmWeightedCp(kernels, x, dims, start, rank, 4, weights, {
        scales: 'component',
        params: { wideFromRank: rank, wideComponentOuter: 0, wideWeightedRowSolves: rowSolves },
      }).weightedError;
    expect(Math.abs(admm(16) / admm(0) - 1)).toBeLessThan(0.01);
  });

  it('changes nothing below the wide rank', () => {
    const plain = run({ wideFromRank: rank + 1 });
    const fields = run({
      wideFromRank: rank + 1,
      wideWeightedRowSolves: 16,
      wideWeightedStartSweeps: 1,
    });
    expect(fields.errorHistory).toEqual(plain.errorHistory);
    expect(fields.weightedError).toBe(plain.weightedError);
  });

  it('runs the wide start sweeps from the wide rank on, unless startSweeps is given', () => {
    const wide = { wideFromRank: rank, wideWeightedStartSweeps: 1, wideWeightedRowSolves: 0 };
    expect(run(wide).errorHistory).toEqual(run({ wideFromRank: rank + 1 }, 1).errorHistory);
    expect(run(wide, 5).errorHistory).toEqual(run({ wideFromRank: rank + 1 }).errorHistory);
    expect(run(wide).errorHistory).not.toEqual(run(wide, 5).errorHistory);
  });
});
