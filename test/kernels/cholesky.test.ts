import { describe, expect, it } from 'vitest';
import { NotPositiveDefiniteError } from '../../src/core/kernels/index.ts';
import { bothKernels, rng } from './reference.ts';

const kernels = await bothKernels();

/** A random SPD matrix M Mᵀ + n I, like ADMM's G + rho I. */
function spd(n: number, next: () => number): Float64Array {
  const m = Float64Array.from({ length: n * n }, () => 2 * next() - 1);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
      g[i * n + j] = s;
    }
  }
  return g;
}

describe.each(kernels)('potrf/potrs ($name)', (k) => {
  it('factorises G = L Lᵀ with L lower triangular', () => {
    const next = rng(11);
    for (const n of [1, 2, 3, 7, 33, 134]) {
      const g = spd(n, next);
      const l = k.potrf(g, n);
      let err = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (j > i) expect(l[i * n + j]).toBe(0);
          let s = 0;
          for (let p = 0; p < n; p++) s += l[i * n + p] * l[j * n + p];
          err = Math.max(err, Math.abs(s - g[i * n + j]) / g[i * n + i]);
        }
      }
      expect(err).toBeLessThan(1e-12);
    }
  });

  it('solves X G = B for many right-hand sides', () => {
    const next = rng(12);
    for (const [n, nrhs] of [
      [1, 1],
      [3, 1],
      [7, 5],
      [33, 64],
      [134, 64],
      [130, 3],
    ]) {
      const g = spd(n, next);
      const x = Float64Array.from({ length: nrhs * n }, () => 2 * next() - 1);
      const b = new Float64Array(nrhs * n);
      for (let r = 0; r < nrhs; r++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += x[r * n + i] * g[i * n + j];
          b[r * n + j] = s;
        }
      }
      k.potrs(k.potrf(g, n), n, b, nrhs);
      let err = 0;
      for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(b[i] - x[i]));
      expect(err).toBeLessThan(1e-10);
    }
  });

  it('throws NotPositiveDefiniteError, never NaNs, on matrices that are not SPD', () => {
    const cases: [Float64Array, number, number][] = [
      [new Float64Array([1, 2, 2, 1]), 2, 1], // indefinite
      [new Float64Array([0]), 1, 0], // singular
      [new Float64Array([-4]), 1, 0],
      [new Float64Array([4, 0, 0, 0, 1, 0, 0, 0, Number.NaN]), 3, 2],
    ];
    for (const [g, n, pivot] of cases) {
      let thrown: unknown;
      try {
        k.potrf(g, n);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(NotPositiveDefiniteError);
      expect((thrown as NotPositiveDefiniteError).pivot).toBe(pivot);
    }
  });
});
