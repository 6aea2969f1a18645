import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/core/kernels/index.ts';
import { bothKernels, randomF32, refSgemm, relError, rng } from './reference.ts';

const kernels = await bothKernels();
const sizes: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [3, 1, 5],
  [3, 7, 5],
  [7, 3, 1],
  [33, 130, 17],
  [130, 33, 7],
  [5, 9, 300],
  [67, 129, 260],
];

function checkSgemm(
  k: Kernels,
  ta: boolean,
  tb: boolean,
  [m, n, kk]: number[],
  pad: number,
  alpha: number,
  beta: number,
) {
  const next = rng(m * 7919 + n * 31 + kk + (ta ? 1 : 0) + (tb ? 2 : 0));
  // Leading dimensions larger than the used columns: the gaps must be neither read nor written.
  const lda = (ta ? m : kk) + pad;
  const ldb = (tb ? kk : n) + pad;
  const ldc = n + pad;
  const a = randomF32((ta ? kk : m) * lda, next);
  const b = randomF32((tb ? n : kk) * ldb, next);
  const c = randomF32(m * ldc, next);
  const want = refSgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
  const got = c.slice();
  k.sgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, got, ldc);
  expect(relError(got, want)).toBeLessThan(1e-5);
  for (let i = 0; i < m; i++) {
    for (let j = n; j < ldc; j++) expect(got[i * ldc + j]).toBe(c[i * ldc + j]);
  }
}

describe.each(kernels)('sgemm ($name)', (k) => {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      it(`matches the float64 reference, transA=${ta} transB=${tb}, awkward sizes`, () => {
        for (const size of sizes) checkSgemm(k, ta, tb, size, 0, 1, 0);
      });
      it(`honours alpha, beta and lda > cols, transA=${ta} transB=${tb}`, () => {
        for (const size of sizes.slice(0, 7)) {
          checkSgemm(k, ta, tb, size, 3, 0.75, 0.5);
          checkSgemm(k, ta, tb, size, 1, -2, 1);
        }
      });
    }
  }

  it('beta = 0 ignores NaNs already in C (BLAS semantics)', () => {
    const a = new Float32Array([1, 2]);
    const b = new Float32Array([3, 4]);
    const c = new Float32Array([Number.NaN]);
    k.sgemm(false, false, 1, 1, 2, 1, a, 2, b, 1, 0, c, 1);
    expect(c[0]).toBe(11);
  });

  it('beta = 0 overwrites C whatever the previous call left in memory, and keeps row gaps', () => {
    const next = rng(11);
    const a = randomF32(6 * 5, next);
    const b = randomF32(5 * 7, next);
    // A first call leaves its C in the kernels' memory; C is not copied in when beta = 0.
    k.sgemm(false, false, 6, 7, 5, 1, a, 5, b, 7, 1, randomF32(6 * 7, next), 7);
    const zeroed = new Float32Array(6 * 7).fill(Number.NaN);
    k.sgemm(false, false, 6, 7, 0, 1, a, 5, b, 7, 0, zeroed, 7);
    expect([...zeroed]).toEqual(new Array(6 * 7).fill(0));
    const c = randomF32(6 * 9, next);
    const got = c.slice();
    k.sgemm(false, false, 6, 7, 5, 1, a, 5, b, 7, 0, got, 9);
    const want = refSgemm(false, false, 6, 7, 5, 1, a, 5, b, 7, 0, c, 9);
    expect(relError(got, want)).toBeLessThan(1e-5);
    for (let i = 0; i < 6; i++) {
      for (let j = 7; j < 9; j++) expect(got[i * 9 + j]).toBe(c[i * 9 + j]);
    }
  });

  it('k = 0 only scales C', () => {
    const c = new Float32Array([2, 4]);
    k.sgemm(false, false, 1, 2, 0, 1, new Float32Array(0), 0, new Float32Array(0), 2, 0.5, c, 2);
    expect([...c]).toEqual([1, 2]);
  });

  it('gram is AᵀA and symmetric', () => {
    const next = rng(5);
    for (const [rows, cols] of [
      [1, 1],
      [7, 3],
      [64, 134],
      [130, 33],
    ]) {
      const a = randomF32(rows * cols, next);
      const want = refSgemm(
        true,
        false,
        cols,
        cols,
        rows,
        1,
        a,
        cols,
        a,
        cols,
        0,
        new Float32Array(cols * cols),
        cols,
      );
      const got = k.gram(a, rows, cols);
      expect(relError(got, want)).toBeLessThan(1e-5);
      for (let i = 0; i < cols; i++) {
        for (let j = 0; j < i; j++) expect(got[i * cols + j]).toBe(got[j * cols + i]);
      }
    }
  });

  it('hadamard multiplies elementwise, into out when given', () => {
    const next = rng(6);
    const a = randomF32(137, next);
    const b = randomF32(137, next);
    const out = new Float32Array(137);
    expect(k.hadamard(a, b, out)).toBe(out);
    for (let i = 0; i < 137; i++) expect(out[i]).toBe(Math.fround(a[i] * b[i]));
  });
});
