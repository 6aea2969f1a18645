import { describe, expect, it } from 'vitest';
import { syntheticConv } from '../../bench/syntheticWeights.ts';
import { ADMM_PRESETS } from '../../src/core/factor/admm.ts';
import { cpAls, floatCpSchedule } from '../../src/core/factor/cpAls.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';

const kernels = await loadKernels();

describe('CP-ALS with line-search extrapolation', () => {
  // A 3x3 conv with a decaying spectrum, rank 70 (rate 2 for 32 channels).
  const c = 32;
  const dims = [c, c, 9];
  const x = syntheticConv(kernels, c, c, 3, 7);

  it('fits at least as well as plain sweeps of the same count, deterministically', () => {
    const plain = cpAls(kernels, x, dims, 70, { maxIterations: 12 });
    const jumped = cpAls(kernels, x, dims, 70, { maxIterations: 12, extrapolate: true });
    const again = cpAls(kernels, x, dims, 70, { maxIterations: 12, extrapolate: true });
    expect(jumped.error).toBeLessThan(plain.error);
    expect(again.factors).toEqual(jumped.factors);
    // A jump is only taken when it fits better, so the history still falls.
    for (let t = 1; t < jumped.errorHistory.length; t++)
      expect(jumped.errorHistory[t]).toBeLessThanOrEqual(jumped.errorHistory[t - 1] + 1e-5);
  });

  it('is used from the default preset rank on, never by the published preset', () => {
    const d = ADMM_PRESETS.default;
    const wide = { fromRank: d.wideFromRank, wideSweeps: d.wideCpIterations };
    expect(floatCpSchedule(d.wideFromRank - 1, d.cpIterations, wide)).toEqual({
      maxIterations: d.cpIterations,
      extrapolate: false,
    });
    expect(floatCpSchedule(d.wideFromRank, d.cpIterations, wide)).toEqual({
      maxIterations: d.wideCpIterations,
      extrapolate: true,
    });
    const p = ADMM_PRESETS.published;
    expect(
      floatCpSchedule(5000, p.cpIterations, {
        fromRank: p.wideFromRank,
        wideSweeps: p.wideCpIterations,
      }).extrapolate,
    ).toBe(false);
  });
});
