import { describe, expect, it } from 'vitest';
import { ADMM_PRESETS, wideComponentParams } from '../../src/core/factor/admm.ts';
import { columnScalesFor } from '../../src/core/factor/polish.ts';
import { mulberry32 } from '../../src/core/util/prng.ts';

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

describe('column scales of a wide factor (interleaved sums from rank 512)', () => {
  /** s^T M s - 2 b^T s with M = qtq .* G and b_r = (Q^T F)_rr, in float64. */
  function objective(
    qtq: Float32Array,
    g: Float64Array,
    codes: Int8Array,
    f: Float32Array,
    rank: number,
    s: Float64Array,
  ) {
    const rows = codes.length / rank;
    let total = 0;
    for (let r = 0; r < rank; r++) {
      let b = 0;
      for (let i = 0; i < rows; i++) b += codes[i * rank + r] * f[i * rank + r];
      total -= 2 * b * s[r];
      for (let c = 0; c < rank; c++) total += s[r] * qtq[r * rank + c] * g[r * rank + c] * s[c];
    }
    return total;
  }

  it.each([511, 512])(
    'rank %i: lowers the objective, and matches the sequential sums closely',
    (rank) => {
      const rows = 24;
      const next = mulberry32(rank);
      const codes = Int8Array.from({ length: rows * rank }, () => Math.floor(next() * 16) - 8);
      const qtq = new Float32Array(rank * rank);
      for (let i = 0; i < rows; i++)
        for (let r = 0; r < rank; r++)
          for (let c = 0; c < rank; c++)
            qtq[r * rank + c] += codes[i * rank + r] * codes[i * rank + c];
      // G: a diagonally dominant SPD Gram, as ADMM's G + (others) is near convergence.
      const g = new Float64Array(rank * rank);
      for (let r = 0; r < rank; r++)
        for (let c = 0; c <= r; c++) {
          const v = r === c ? 1 + next() : 0.002 * (next() - 0.5);
          g[r * rank + c] = v;
          g[c * rank + r] = v;
        }
      const f = Float32Array.from(
        { length: rows * rank },
        (_, i) => 0.05 * codes[i] + 0.01 * (next() - 0.5),
      );
      const start = new Float64Array(rank).fill(0.03);
      const s = Float64Array.from(start);
      columnScalesFor(qtq, codes, g, f, rank, s);
      expect(objective(qtq, g, codes, f, rank, s)).toBeLessThan(
        objective(qtq, g, codes, f, rank, start),
      );
      expect(s.every((v) => v > 0)).toBe(true);
      // The same sweeps summed sequentially (what ranks below 512 run).
      const seq = Float64Array.from(start);
      const b = new Float64Array(rank);
      for (let i = 0; i < rows; i++)
        for (let r = 0; r < rank; r++) b[r] += codes[i * rank + r] * f[i * rank + r];
      for (let sweep = 0; sweep < 8; sweep++)
        for (let r = 0; r < rank; r++) {
          const diag = qtq[r * rank + r] * g[r * rank + r];
          if (!(diag > 0)) continue;
          let rest = b[r];
          for (let c = 0; c < rank; c++)
            if (c !== r) rest -= qtq[r * rank + c] * g[r * rank + c] * seq[c];
          if (rest / diag > 0) seq[r] = rest / diag;
        }
      for (let r = 0; r < rank; r++)
        expect(Math.abs(s[r] - seq[r])).toBeLessThanOrEqual(1e-12 * Math.abs(seq[r]) + 1e-15);
      if (rank < 512) expect(s).toEqual(seq);
    },
  );
});
