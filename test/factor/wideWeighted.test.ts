import { describe, expect, it } from 'vitest';
import { ADMM_PRESETS } from '../../src/core/factor/admm.ts';
import { cpAls } from '../../src/core/factor/cpAls.ts';
import type { ModeWeights } from '../../src/core/factor/inputMoments.ts';
import type { QafScales } from '../../src/core/factor/types.ts';
import { admmWeightedCp, wideWeightedParams } from '../../src/core/factor/weightedAdmm.ts';
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

describe('data-aware QAF on wide layers (issue #14 caps, bench:wide-data)', () => {
  const d = ADMM_PRESETS.default;
  // Grid factors plus noise: uncapped, the ADMM runs more outer steps than the cap.
  const dims = [12, 10, 9];
  const rank = 8;
  const next = mulberry32(9);
  const x = cpTensor(kernels, dims, rank, 11, 4).x.map((v) => v + 0.3 * (next() - 0.5));
  const start = cpAls(kernels, x, dims, rank, { maxIterations: 20 }).factors;
  const weights: ModeWeights = [null, correlated(10, 0.6), correlated(9, 0.5)];
  // wideFromRank lowered to this layer's rank makes it "wide" without a 512-rank solve.
  const run = (wideFromRank: number, scales: QafScales) =>
    admmWeightedCp(kernels, x, dims, start, rank, 4, weights, {
      scales,
      params: { wideFromRank },
    });

  it('takes the published path caps with its own polish rounds, from the wide rank on', () => {
    const p = wideWeightedParams(d, d.wideFromRank, true);
    expect(p.maxOuter).toBe(Math.min(d.maxOuter, d.wideComponentOuter));
    expect(p.candidates).toBe(d.wideComponentCandidates);
    expect(p.polishRounds).toBe(d.wideWeightedPolish);
    expect(wideWeightedParams({ ...d, wideWeightedPolish: 0 }, 5000, true).polishRounds).toBe(
      d.wideComponentPolish,
    );
    expect(wideWeightedParams(d, d.wideFromRank - 1, true)).toBe(d);
    expect(wideWeightedParams(d, 5000, false)).toBe(d);
  });

  it('runs at most the capped outer steps with per-component scales', () => {
    const narrow = run(rank + 1, 'component');
    expect(narrow.iterations).toBeGreaterThan(d.wideComponentOuter);
    const wide = run(rank, 'component');
    expect(wide.iterations).toBeLessThanOrEqual(d.wideComponentOuter);
    expect(wide.errorHistory).toHaveLength(wide.iterations);
    expect(Number.isFinite(wide.weightedError)).toBe(true);
  });

  it('leaves per-factor scales uncapped, as the published path does', () => {
    expect(run(rank, 'factor').iterations).toBe(run(rank + 1, 'factor').iterations);
    expect(run(rank, 'factor').iterations).toBeGreaterThan(d.wideComponentOuter);
  });
});
