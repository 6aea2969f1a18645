import { describe, expect, it } from 'vitest';
import { ADMM_PRESETS, wideComponentParams } from '../../src/core/factor/admm.ts';

describe('ADMM on wide layers with per-component scales', () => {
  const d = ADMM_PRESETS.default;

  it('caps the outer steps and sets the polish rounds from the wide rank on', () => {
    const p = wideComponentParams(d, d.wideFromRank, true);
    expect(p.maxOuter).toBe(Math.min(d.maxOuter, d.wideComponentOuter));
    expect(p.polishRounds).toBe(d.wideComponentPolish);
    expect(p.candidates).toBe(d.wideComponentCandidates);
    expect(wideComponentParams({ ...d, wideComponentCandidates: 0 }, 5000, true).candidates).toBe(
      d.candidates,
    );
  });

  it('leaves narrow layers, per-factor scales and the published preset alone', () => {
    expect(wideComponentParams(d, d.wideFromRank - 1, true)).toBe(d);
    expect(wideComponentParams(d, 5000, false)).toBe(d);
    const p = ADMM_PRESETS.published;
    expect(wideComponentParams(p, 5000, true)).toBe(p);
    // The benchmarks' old path turns it off with wideFromRank 0.
    expect(wideComponentParams({ ...d, wideFromRank: 0 }, 5000, true).maxOuter).toBe(d.maxOuter);
  });
});
