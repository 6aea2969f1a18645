import { describe, expect, it } from 'vitest';
import { cpTarget, relativeErrorOf } from '../../src/core/factor/cpTensor.ts';
import { cpAls, cpRelativeError, reconstruct, truncatedSvd } from '../../src/core/factor/index.ts';
import { dsyev } from '../../src/core/factor/linalg.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { cpTensor, randomFactors } from './synthetic.ts';

const kernels = await loadKernels();

describe('cpAls', () => {
  it.each([
    [[7, 9, 5], 3],
    [[16, 16, 9], 8],
    [[3, 33, 1], 2],
  ])('recovers an exact rank tensor %j rank %i (relative error < 1e-4)', (dims, rank) => {
    const { x } = cpTensor(kernels, dims, rank, 11);
    const cp = cpAls(kernels, x, dims, rank, { maxIterations: 500, tol: 1e-10 });
    expect(cp.error).toBeLessThan(1e-4);
    expect(cpRelativeError(kernels, cpTarget(x, dims), cp.factors, rank)).toBeLessThan(1e-4);
    expect(cp.factors.map((f) => f.length)).toEqual(dims.map((d) => d * rank));
  });

  it('is deterministic and its error history never rises much', () => {
    const dims = [12, 10, 9];
    const x = Float32Array.from(randomFactors([dims[0] * dims[1] * dims[2]], 1, 5)[0]);
    const a = cpAls(kernels, x, dims, 6, { maxIterations: 40 });
    const b = cpAls(kernels, x, dims, 6, { maxIterations: 40 });
    expect(a.factors).toEqual(b.factors);
    expect(a.errorHistory.length).toBe(a.iterations);
    for (let t = 1; t < a.errorHistory.length; t++) {
      expect(a.errorHistory[t]).toBeLessThanOrEqual(a.errorHistory[t - 1] + 1e-5);
    }
  });

  it('handles ranks above every mode size (random columns past the HOSVD ones)', () => {
    const dims = [4, 5, 3];
    const x = Float32Array.from(randomFactors([60], 1, 3)[0]);
    const cp = cpAls(kernels, x, dims, 7, { maxIterations: 50 });
    expect(Number.isFinite(cp.error)).toBe(true);
    expect(cp.error).toBeLessThan(0.5);
  });
});

describe('truncatedSvd', () => {
  it.each([
    [9, 5, 3],
    [5, 9, 3],
    [33, 7, 7],
  ])('recovers an exact rank %ix%i rank %i matrix with A = U sqrt(S)', (rows, cols, rank) => {
    const { x } = cpTensor(kernels, [rows, cols], rank, 17);
    const { a, b, singularValues } = truncatedSvd(x, rows, cols, rank);
    expect(cpRelativeError(kernels, cpTarget(x, [rows, cols]), [a, b], rank)).toBeLessThan(1e-5);
    for (let r = 1; r < rank; r++)
      expect(singularValues[r]).toBeLessThanOrEqual(singularValues[r - 1]);
    // A and B carry sqrt(S) each: equal column norms.
    for (let r = 0; r < rank; r++) {
      let na = 0;
      let nb = 0;
      for (let i = 0; i < rows; i++) na += a[i * rank + r] ** 2;
      for (let j = 0; j < cols; j++) nb += b[j * rank + r] ** 2;
      expect(Math.sqrt(na)).toBeCloseTo(Math.sqrt(nb), 4);
    }
  });

  it('gives the best rank-r approximation (error from the tail singular values)', () => {
    const rows = 8;
    const cols = 6;
    const x = Float32Array.from(randomFactors([rows * cols], 1, 23)[0]);
    const full = truncatedSvd(x, rows, cols, cols).singularValues;
    const { a, b } = truncatedSvd(x, rows, cols, 2);
    const tail = Math.sqrt(full.slice(2).reduce((s, v) => s + v * v, 0));
    const total = Math.sqrt(full.reduce((s, v) => s + v * v, 0));
    const err = cpRelativeError(kernels, cpTarget(x, [rows, cols]), [a, b], 2);
    expect(err).toBeCloseTo(tail / total, 5);
  });
});

describe('dsyev', () => {
  it('diagonalises a symmetric matrix (A V = V diag(w))', () => {
    const n = 7;
    const m = randomFactors([n * n], 1, 29)[0];
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) a[i * n + j] = m[i * n + j] + m[j * n + i];
    const { values, vectors } = dsyev(a, n);
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += a[i * n + k] * vectors[k * n + c];
        expect(av).toBeCloseTo(values[c] * vectors[i * n + c], 9);
      }
    }
  });
});

describe('reconstruct', () => {
  it('matches the CP model in Cout x Cin x kh x kw order', () => {
    const dims = [5, 4, 9];
    const factors = randomFactors(dims, 3, 31);
    const { x } = cpTensor(kernels, dims, 3, 31);
    const w = reconstruct({
      name: 'l',
      method: 'cp',
      rank: 3,
      bits: 4,
      shape: [5, 4, 3, 3],
      factors: factors.map((values, n) => ({ rows: dims[n], cols: 3, values })),
      floatCpError: 0,
      error: 0,
      iterations: 0,
      errorHistory: [],
      ms: 0,
    });
    expect(relativeErrorOf(x, w)).toBeLessThan(1e-6);
  });
});
