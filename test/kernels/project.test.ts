import { describe, expect, it } from 'vitest';
import { gridCode, roundHalfAway } from '../../src/core/kernels/gridProjection.ts';
import { jsKernels } from '../../src/core/kernels/index.ts';
import {
  bothKernels,
  gaussianF32,
  mseOf,
  randomF32,
  refProjectMse,
  rng,
  wasmKernels,
} from './reference.ts';

const kernels = await bothKernels();

/** The smallest MSE of the published 200-candidate search, in plain float64. */
function refBestMse(x: Float32Array, bits: number): number {
  let maxAbs = 0;
  for (const v of x) maxAbs = Math.max(maxAbs, Math.abs(v));
  if (maxAbs === 0) return 0;
  let best = Number.POSITIVE_INFINITY;
  for (let c = 0; c < 200; c++) {
    const m = (0.2 + c / 199) * maxAbs;
    best = Math.min(best, refProjectMse(x, bits, Math.fround((2 * m) / (2 ** bits - 1))));
  }
  return best;
}

function inputs(): { name: string; x: Float32Array }[] {
  const next = rng(42);
  const withOutliers = gaussianF32(1000, next);
  withOutliers[17] = 9;
  withOutliers[400] = -7;
  return [
    { name: 'one value', x: new Float32Array([0.3]) },
    { name: 'three', x: randomF32(3, next) },
    { name: 'seven', x: randomF32(7, next) },
    { name: '33 uniform', x: randomF32(33, next) },
    { name: '130 gaussian', x: gaussianF32(130, next) },
    { name: 'outliers', x: withOutliers },
    { name: 'a 64x134 factor', x: gaussianF32(64 * 134, next) },
    { name: 'few distinct values', x: Float32Array.from({ length: 301 }, (_, i) => (i % 5) - 2) },
  ];
}

function expectOnGrid(
  x: Float32Array,
  codes: Int8Array,
  scale: number,
  values: Float32Array,
  bits: number,
  from = 0,
) {
  const qMin = -(2 ** (bits - 1));
  const qMax = 2 ** (bits - 1) - 1;
  for (let i = from; i < from + x.length; i++) {
    const q = codes[i];
    expect(Number.isInteger(q) && q >= qMin && q <= qMax).toBe(true);
    expect(values[i]).toBe(Math.fround(scale * q));
    expect(q).toBe(scale === 0 ? 0 : gridCode(x[i - from], scale, qMin, qMax));
  }
}

describe.each(kernels)('projectToGrid ($name)', (k) => {
  for (const bits of [2, 3, 4, 8]) {
    it(`${bits} bits: fast search never worse than the plain 200-candidate search; codes on the grid`, () => {
      for (const { x } of inputs()) {
        const p = k.projectToGrid(x, bits);
        expect(p.scales.length).toBe(1);
        expectOnGrid(x, p.codes, p.scales[0], p.values, bits);
        // The search objective uses s*q in float64; the stored values add float32 rounding.
        const mse = refProjectMse(x, bits, p.scales[0]);
        expect(mse).toBeLessThanOrEqual(refBestMse(x, bits) * (1 + 1e-6) + 1e-30);
        expect(mseOf(x, p.values)).toBeLessThanOrEqual(mse * (1 + 1e-4) + 1e-30);
      }
    });
  }

  it('the plain search finds the reference optimum too', () => {
    for (const { x } of inputs()) {
      const p = k.projectToGridPlain(x, 4);
      expectOnGrid(x, p.codes, p.scales[0], p.values, 4);
      const mse = refProjectMse(x, 4, p.scales[0]);
      expect(mse).toBeLessThanOrEqual(refBestMse(x, 4) * (1 + 1e-6) + 1e-30);
    }
  });

  it('per-channel: each contiguous row gets its own search', () => {
    const next = rng(3);
    const rows = 7;
    const len = 33;
    const x = gaussianF32(rows * len, next);
    for (let i = 0; i < len; i++) x[2 * len + i] *= 10; // one row on a much larger scale
    const p = k.projectToGrid(x, 4, { channels: rows });
    expect(p.scales.length).toBe(rows);
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * len, (r + 1) * len);
      const single = k.projectToGrid(row, 4);
      expect(p.scales[r]).toBe(single.scales[0]);
      expectOnGrid(row, p.codes, p.scales[r], p.values, 4, r * len);
    }
    expect(p.scales[2]).toBeGreaterThan(5 * p.scales[0]);
  });

  it('all zeros: scale 0, codes 0, values 0', () => {
    const p = k.projectToGrid(new Float32Array(10), 4);
    expect(p.scales[0]).toBe(0);
    expect([...p.codes]).toEqual(Array(10).fill(0));
    expect([...p.values]).toEqual(Array(10).fill(0));
  });

  it('rejects bad arguments', () => {
    expect(() => k.projectToGrid(new Float32Array(10), 9)).toThrow(RangeError);
    expect(() => k.projectToGrid(new Float32Array(10), 4, { channels: 3 })).toThrow(RangeError);
  });
});

describe('projection determinism', () => {
  it('JS and WASM give bit-identical scales, codes and values', async () => {
    const wasm = await wasmKernels();
    for (const { x } of inputs()) {
      for (const bits of [2, 4, 8]) {
        for (const channels of x.length % 2 === 0 ? [1, 2] : [1]) {
          const a = jsKernels.projectToGrid(x, bits, { channels });
          const b = wasm.projectToGrid(x, bits, { channels });
          expect(b.scales).toEqual(a.scales);
          expect(b.codes).toEqual(a.codes);
          expect(b.values).toEqual(a.values);
        }
      }
    }
  });

  it('rounds half away from zero, exactly', () => {
    expect(roundHalfAway(2.5)).toBe(3);
    expect(roundHalfAway(-2.5)).toBe(-3);
    expect(roundHalfAway(-0.5)).toBe(-1);
    expect(roundHalfAway(0.49999999999999994)).toBe(0);
    expect(roundHalfAway(-1.4999999999999998)).toBe(-1);
    expect(gridCode(-100, 1, -8, 7)).toBe(-8);
    expect(gridCode(7.5, 1, -8, 7)).toBe(7);
    expect(gridCode(-8.5, 1, -8, 7)).toBe(-8);
  });

  it('ties go to the first candidate', async () => {
    // At 1 bit the grid is {-s, 0}: positive values all round to 0 whatever the scale, so
    // every candidate has the same error and the first (m = 0.2 max|x|, s = 2m) must win.
    for (const k of [jsKernels, await wasmKernels()]) {
      for (const plain of [false, true]) {
        const x = new Float32Array([0.5, 1, 0.25]);
        const p = plain ? k.projectToGridPlain(x, 1) : k.projectToGrid(x, 1);
        expect(p.scales[0]).toBe(Math.fround(0.4));
      }
    }
  });
});
