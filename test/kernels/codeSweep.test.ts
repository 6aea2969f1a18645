// The polish's code sweep as a kernel: the wasm build gives the reference's codes, moves and
// written-back rows bit for bit (per-component and per-factor use, odd ranks, zero scales and
// curvatures), and every move lowers the objective.
import { describe, expect, it } from 'vitest';
import { type CodeSweepArgs, codeSweep } from '../../src/core/kernels/codeSweep.ts';
import { gaussianF32, rng, wasmKernels } from './reference.ts';

const wasm = await wasmKernels();

/** A sweep problem: G = B^T B + small ridge (SPD), codes on the 4-bit grid, F near H G. */
function problem(rows: number, rank: number, seed: number, perFactor: boolean): CodeSweepArgs {
  const next = rng(seed);
  const b = gaussianF32(rank * rank, next);
  const g = new Float64Array(rank * rank);
  for (let i = 0; i < rank; i++)
    for (let j = 0; j < rank; j++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += b[k * rank + i] * b[k * rank + j];
      g[i * rank + j] = s / rank + (i === j ? 0.1 : 0);
    }
  const codes = Int8Array.from({ length: rows * rank }, () => Math.floor(next() * 16) - 8);
  const scales = Float64Array.from({ length: rank }, () =>
    perFactor ? 0.05 : 0.02 + 0.1 * next(),
  );
  if (!perFactor) {
    scales[1] = 0; // skipped with skipNonPositiveScales
    g[2 * rank + 2] = 0; // no curvature: skipped
  }
  const hq = new Float32Array(rows * rank);
  for (let i = 0; i < rows; i++)
    for (let r = 0; r < rank; r++)
      hq[i * rank + r] = (perFactor ? 1 : scales[r]) * codes[i * rank + r];
  const base = new Float32Array(rows * rank);
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < rank; c++) {
      let s = 0;
      for (let r = 0; r < rank; r++) s += hq[i * rank + r] * g[r * rank + c];
      base[i * rank + c] = s;
    }
  const f = gaussianF32(rows * rank, next).map(
    (v, i) => (perFactor ? 0.05 : 1) * base[i] + 0.3 * v,
  );
  return {
    codes,
    base,
    mult: perFactor ? 0.05 : 1,
    f,
    g,
    scales,
    rows,
    rank,
    bits: 4,
    skipNonPositiveScales: !perFactor,
    writeBack: perFactor,
  };
}

function copy(a: CodeSweepArgs): CodeSweepArgs {
  return { ...a, codes: Int8Array.from(a.codes), base: Float32Array.from(a.base) };
}

/** tr(H G H^T) - 2 tr(H^T F) for H[i, r] = scales[r] codes[i, r], in float64. */
function objective(a: CodeSweepArgs): number {
  const { rows, rank, codes, scales, g, f } = a;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    for (let r = 0; r < rank; r++) {
      const h = scales[r] * codes[i * rank + r];
      total -= 2 * h * f[i * rank + r];
      for (let c = 0; c < rank; c++) total += h * g[r * rank + c] * scales[c] * codes[i * rank + c];
    }
  }
  return total;
}

describe('codeSweep', () => {
  it.each([
    ['per component', 7, 13, false],
    ['per component, even rank', 16, 24, false],
    ['per factor, written back', 9, 17, true],
  ] as const)(
    '%s: the wasm kernel matches the reference bit for bit',
    (_, rows, rank, perFactor) => {
      const a = problem(rows, rank, rows * 31 + rank, perFactor);
      const ref = copy(a);
      const got = copy(a);
      const movedRef = codeSweep(ref);
      const movedGot = wasm.codeSweep!(got);
      expect(movedRef).toBeGreaterThan(0);
      expect(movedGot).toBe(movedRef);
      expect(got.codes).toEqual(ref.codes);
      expect(got.base).toEqual(ref.base);
      expect(objective(ref)).toBeLessThan(objective(a));
      if (!perFactor) {
        for (let i = 0; i < rows; i++) {
          expect(ref.codes[i * rank + 1]).toBe(a.codes[i * rank + 1]);
          expect(ref.codes[i * rank + 2]).toBe(a.codes[i * rank + 2]);
        }
      }
    },
  );
});
