// The randomized start's numerics against plain float64 references: the tridiagonal-QL
// eigensolver, the range finder / truncated SVD, the blocked float32 Cholesky and the slice
// start. Odd sizes throughout (1, 3, 7, 33, ...), so no SIMD-width multiple hides a bug.
import { describe, expect, it } from 'vitest';
import { potrf32, potrs32 } from '../../src/core/factor/cholesky32.ts';
import { cpStart } from '../../src/core/factor/cpAls.ts';
import { cpReconstruct, cpRelativeError, cpTarget } from '../../src/core/factor/cpTensor.ts';
import { dsyev, dsyevQl, lowerInverse, transpose } from '../../src/core/factor/linalg.ts';
import { gramSvd, orthonormalize, randomizedSvd } from '../../src/core/factor/rangeFinder.ts';
import { sliceSvdStart } from '../../src/core/factor/sliceStart.ts';
import { solveRightSpd } from '../../src/core/factor/solve.ts';
import { truncatedSvd } from '../../src/core/factor/svd.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { normalSampler } from '../../src/core/util/prng.ts';

const kernels = await loadKernels();

function gaussian(rows: number, cols: number, seed: number): Float32Array {
  const next = normalSampler(seed);
  return Float32Array.from({ length: rows * cols }, () => next());
}

/** A rows x cols matrix U diag(s) V^T with s_r = decay^r (a spread of singular values). */
function spectral(rows: number, cols: number, seed: number, decay = 0.9): Float32Array {
  const n = Math.min(rows, cols);
  const u = gaussian(rows, n, seed);
  const v = gaussian(cols, n, seed + 1);
  for (let i = 0; i < rows; i++) for (let r = 0; r < n; r++) u[i * n + r] *= decay ** r;
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += u[i * n + r] * v[j * n + r];
      x[i * cols + j] = s;
    }
  }
  return x;
}

/** Singular values of X in float64: Jacobi on X^T X (or X X^T), computed plainly. */
function referenceSingularValues(x: Float32Array, rows: number, cols: number): Float64Array {
  const n = Math.min(rows, cols);
  const at = (i: number, k: number) => (rows >= cols ? x[k * cols + i] : x[i * cols + k]);
  const m = Math.max(rows, cols);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += at(i, k) * at(j, k);
      g[i * n + j] = s;
    }
  }
  return dsyev(g, n).values.map((v) => Math.sqrt(Math.max(v, 0)));
}

function maxOffOrthonormal(q: Float32Array, rows: number, k: number, cols = k): number {
  let worst = 0;
  for (let a = 0; a < cols; a++) {
    for (let b = 0; b < cols; b++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += q[i * k + a] * q[i * k + b];
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

describe('dsyevQl (Householder + implicit QL)', () => {
  it.each([1, 3, 7, 33, 100])('n = %i: A v = lambda v, orthonormal, same values as Jacobi', (n) => {
    const m = gaussian(n, n, 40 + n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) a[i * n + j] = m[i * n + j] + m[j * n + i];
    const { values, rows } = dsyevQl(a, n);
    const jacobi = dsyev(a, n).values;
    const scale = Math.max(...Array.from(values, Math.abs));
    for (let c = 0; c < n; c++) {
      expect(Math.abs(values[c] - jacobi[c])).toBeLessThan(1e-12 * scale * n);
      if (c > 0) expect(values[c]).toBeLessThanOrEqual(values[c - 1]);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += a[i * n + k] * rows[c * n + k];
        expect(Math.abs(av - values[c] * rows[c * n + i])).toBeLessThan(1e-12 * scale * n);
      }
    }
    const q = Float32Array.from(transpose(Float32Array.from(rows), n, n));
    expect(maxOffOrthonormal(q, n, n)).toBeLessThan(1e-6);
  });

  it('handles repeated eigenvalues and the zero matrix', () => {
    const eye = new Float64Array(9).fill(0);
    for (let i = 0; i < 3; i++) eye[i * 4] = 2;
    expect(Array.from(dsyevQl(eye, 3).values)).toEqual([2, 2, 2]);
    expect(Array.from(dsyevQl(new Float64Array(4), 2).values)).toEqual([0, 0]);
  });
});

describe('randomizedSvd', () => {
  it.each([
    [1, 1, 1],
    [3, 7, 2],
    [7, 3, 3],
    [33, 7, 5],
    [33, 70, 5],
    [300, 90, 12],
    [90, 301, 7],
  ])(
    '%ix%i rank %i: singular values within 1e-4 of a float64 reference, orthonormal U and V',
    (rows, cols, rank) => {
      const x = spectral(rows, cols, rows * 1000 + cols);
      const ref = referenceSingularValues(x, rows, cols);
      const { u, s, v } = randomizedSvd(kernels, x, rows, cols, rank, { seed: 3 });
      for (let r = 0; r < rank; r++) expect(Math.abs(s[r] - ref[r])).toBeLessThan(1e-4 * ref[0]);
      expect(maxOffOrthonormal(u, rows, rank)).toBeLessThan(1e-4);
      expect(maxOffOrthonormal(v, cols, rank)).toBeLessThan(1e-4);
      // U diag(s) V^T is as good as the optimal rank-r approximation.
      const a = Float32Array.from(u, (val, i) => val * s[i % rank]);
      const err = cpRelativeError(kernels, cpTarget(x, [rows, cols]), [a, v], rank);
      const total = Math.hypot(...ref);
      const tail = Math.hypot(...ref.slice(rank));
      expect(err).toBeLessThan(tail / total + 1e-4);
    },
  );

  it('recovers a known low-rank matrix exactly, also when asked for more than its rank', () => {
    const [rows, cols, trueRank] = [201, 77, 6];
    const u = gaussian(rows, trueRank, 5);
    const w = gaussian(cols, trueRank, 6);
    const x = cpReconstruct(kernels, [rows, cols], [u, w], trueRank);
    for (const rank of [trueRank, 11]) {
      const svd = randomizedSvd(kernels, x, rows, cols, rank, { seed: 1 });
      const a = Float32Array.from(svd.u, (val, i) => val * svd.s[i % rank]);
      expect(cpRelativeError(kernels, cpTarget(x, [rows, cols]), [a, svd.v], rank)).toBeLessThan(
        1e-5,
      );
      for (let r = trueRank; r < rank; r++) expect(svd.s[r]).toBeLessThan(1e-4 * svd.s[0]);
    }
  });

  it('is deterministic for a seed, and the Gram route agrees with the sketch', () => {
    const x = spectral(120, 50, 9);
    const a = randomizedSvd(kernels, x, 120, 50, 8, { seed: 2 });
    const b = randomizedSvd(kernels, x, 120, 50, 8, { seed: 2 });
    expect(a.u).toEqual(b.u);
    expect(a.s).toEqual(b.s);
    const exact = gramSvd(kernels, x, 120, 50, 8);
    for (let r = 0; r < 8; r++) expect(a.s[r]).toBeCloseTo(exact.s[r], 4);
  });

  it('truncatedSvd: the randomized and the old Jacobi routes give the same approximation', () => {
    const [rows, cols, rank] = [97, 41, 9];
    const x = spectral(rows, cols, 13);
    const t = cpTarget(x, [rows, cols]);
    const fresh = truncatedSvd(x, rows, cols, rank, { kernels });
    const old = truncatedSvd(x, rows, cols, rank, { init: 'hosvd-jacobi' });
    const e = (s: typeof old) => cpRelativeError(kernels, t, [s.a, s.b], rank);
    expect(Math.abs(e(fresh) - e(old))).toBeLessThan(1e-5);
    for (let r = 0; r < rank; r++)
      expect(fresh.singularValues[r]).toBeCloseTo(old.singularValues[r], 4);
  });
});

describe('orthonormalize (Cholesky-QR)', () => {
  it('gives an orthonormal basis of a rank-deficient sketch that still spans it', () => {
    const [rows, k] = [57, 9];
    const basis = gaussian(rows, 4, 21);
    const mix = gaussian(4, k, 22);
    const y = new Float32Array(rows * k); // rank 4 of 9 columns
    kernels.sgemm(false, false, rows, k, 4, 1, basis, 4, mix, k, 0, y, k);
    const q = orthonormalize(kernels, y, rows, k);
    expect(maxOffOrthonormal(q, rows, k)).toBeLessThan(1e-4);
    // Y = Q (Q^T Y)
    const qty = new Float32Array(k * k);
    kernels.sgemm(true, false, k, k, rows, 1, q, k, y, k, 0, qty, k);
    const back = new Float32Array(rows * k);
    kernels.sgemm(false, false, rows, k, k, 1, q, k, qty, k, 0, back, k);
    let d = 0;
    let n = 0;
    for (let i = 0; i < y.length; i++) {
      d += (y[i] - back[i]) ** 2;
      n += y[i] ** 2;
    }
    expect(Math.sqrt(d / n)).toBeLessThan(1e-5);
  });
});

describe('blocked float32 Cholesky', () => {
  it.each([
    [1, 1],
    [3, 2],
    [7, 5],
    [33, 9],
    [129, 7],
    [300, 41],
  ])('n = %i, %i right-hand sides: X (G + s I) = B within 1e-5 of float64', (n, rows) => {
    const m = gaussian(n + 3, n, n);
    const g = Float64Array.from(kernels.gram(m, n + 3, n));
    const shift = 0.05 * g[0];
    const b = gaussian(rows, n, n + 1);
    const chol = potrf32(kernels, g, n, shift);
    expect(chol).not.toBeNull();
    const x = potrs32(kernels, chol!, b, rows);
    const ref = solveRightSpd(kernels, g, n, b, rows, shift, 'float64');
    let d = 0;
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      d += (x[i] - ref[i]) ** 2;
      s += ref[i] ** 2;
    }
    expect(Math.sqrt(d / s)).toBeLessThan(1e-5);
  });

  it('returns null for a matrix that is not positive definite', () => {
    const n = 140;
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) g[i * n + i] = i === 133 ? -1 : 1;
    expect(potrf32(kernels, g, n, 0)).toBeNull();
  });

  it('lowerInverse: L L^-1 = I', () => {
    const n = 33;
    const l = new Float64Array(n * n);
    const r = normalSampler(8);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) l[i * n + j] = i === j ? 2 + r() ** 2 : r();
    const inv = lowerInverse(l, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += l[i * n + k] * inv[k * n + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });
});

describe('sliceSvdStart', () => {
  // X = sum of per-slice low-rank terms whose slices (along the smallest mode) are orthogonal
  // (disjoint row blocks) with distinct energies: the principal axes of that mode are the
  // slices themselves, slice t has rank r_t, and the start with rank = sum r_t reproduces X.
  function sliceLowRank(dims: number[], ranks: number[], seed: number) {
    const [p, q, s] = dims;
    const rank = ranks.reduce((a, b) => a + b, 0);
    const block = Math.floor(p / s);
    const a = gaussian(p, rank, seed);
    const b = gaussian(q, rank, seed + 1);
    const c = new Float32Array(s * rank);
    let col = 0;
    ranks.forEach((r, t) => {
      for (let i = 0; i < r; i++, col++) {
        c[t * rank + col] = 1 + t;
        for (let row = 0; row < p; row++) {
          if (row < t * block || row >= (t + 1) * block) a[row * rank + col] = 0;
        }
      }
    });
    return { x: cpReconstruct(kernels, dims, [a, b, c], rank), rank };
  }

  it.each([
    [
      [33, 17, 3],
      [4, 2, 1],
    ],
    [
      [35, 21, 7],
      [5, 3, 3, 2, 1, 1, 1],
    ],
  ])('%j with slice ranks %j: the start is exact', (dims, ranks) => {
    const { x, rank } = sliceLowRank(dims, ranks, 31);
    const start = sliceSvdStart(kernels, cpTarget(x, dims), rank, 0);
    expect(cpRelativeError(kernels, cpTarget(x, dims), start, rank)).toBeLessThan(1e-5);
  });

  it('slices along the smallest mode wherever it is (same error after a permutation)', () => {
    const dims = [13, 11, 5];
    const { x, rank } = sliceLowRank(dims, [2, 2, 2, 1, 1], 7);
    // the same tensor with the 5-mode first: y[k, i, j] = x[i, j, k]
    const y = new Float32Array(x.length);
    for (let i = 0; i < 13; i++)
      for (let j = 0; j < 11; j++)
        for (let k = 0; k < 5; k++) y[(k * 13 + i) * 11 + j] = x[(i * 11 + j) * 5 + k];
    const yDims = [5, 13, 11];
    const fx = sliceSvdStart(kernels, cpTarget(x, dims), rank - 2, 0);
    const fy = sliceSvdStart(kernels, cpTarget(y, yDims), rank - 2, 0);
    const ex = cpRelativeError(kernels, cpTarget(x, dims), fx, rank - 2);
    const ey = cpRelativeError(kernels, cpTarget(y, yDims), fy, rank - 2);
    expect(ex).toBeGreaterThan(1e-3);
    expect(Math.abs(ex - ey)).toBeLessThan(1e-5);
  });

  it('fills ranks above what the slices hold with seeded columns, deterministically', () => {
    const dims = [4, 5, 3];
    const x = gaussian(60, 1, 3);
    const a = cpStart(kernels, cpTarget(x, dims), 17, 'randomized', 5);
    const b = cpStart(kernels, cpTarget(x, dims), 17, 'randomized', 5);
    expect(a).toEqual(b);
    expect(a.map((f) => f.length)).toEqual([4 * 17, 5 * 17, 3 * 17]);
    expect(a.every((f) => f.every(Number.isFinite))).toBe(true);
  });
});
