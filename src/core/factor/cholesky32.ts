// Cholesky factorization and right-hand solves in float32, blocked so that nearly all the work
// is sgemm (left-looking block columns, as LAPACK's potrf; Golub & Van Loan, Sec. 4.2.9).
// Only the BLOCK x BLOCK diagonal blocks go through the float64 potrf kernel, and their
// inverses turn every triangular solve into products too. Sequential and deterministic.

import { type Kernels, NotPositiveDefiniteError } from '../kernels/types.ts';
import { mulberry32 } from '../util/prng.ts';
import { lowerInverse, transpose } from './linalg.ts';

const BLOCK = 128;

/** G + shift I = L Lᵀ in float32. */
export interface Cholesky32 {
  n: number;
  /** L: n x n row-major, lower (the upper triangle is zero). */
  l: Float32Array;
  /** L^T, so that the backward solve reads block rows too. */
  lt: Float32Array;
  /** The inverse of each diagonal block of L (block b is rows b*BLOCK onwards), row-major. */
  diagInv: Float32Array[];
}

/** Blocked float32 Cholesky of G + shift I (G's lower triangle is read); null if not positive definite. */
export function potrf32(
  kernels: Kernels,
  g: Float64Array,
  n: number,
  shift: number,
): Cholesky32 | null {
  const l = new Float32Array(n * n);
  const diagInv: Float32Array[] = [];
  const width = Math.min(BLOCK, n);
  // The block column being factorized, compact ((n - k0) x kb): the products write into it
  // without copying the rest of L's rows in and out of the kernels' memory.
  const panel = new Float32Array(n * width);
  const solved = new Float32Array(Math.max(0, n - width) * width);
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const kb = Math.min(BLOCK, n - k0);
    const m = n - k0;
    for (let i = 0; i < m; i++) {
      const gi = (k0 + i) * n + k0;
      for (let j = 0; j < kb; j++) panel[i * kb + j] = g[gi + j];
      if (i < kb) panel[i * kb + i] += shift;
    }
    // A[k0:, k0:k0+kb] -= L[k0:, :k0] L[k0:k0+kb, :k0]^T
    if (k0 > 0) {
      const rowsK = l.subarray(k0 * n);
      kernels.sgemm(false, true, m, kb, k0, -1, rowsK, n, rowsK, n, 1, panel, kb);
    }
    const d = new Float64Array(kb * kb);
    for (let i = 0; i < kb; i++) for (let j = 0; j <= i; j++) d[i * kb + j] = panel[i * kb + j];
    let ld: Float64Array;
    try {
      ld = kernels.potrf(d, kb);
    } catch (e) {
      if (e instanceof NotPositiveDefiniteError) return null;
      throw e;
    }
    for (let i = 0; i < kb; i++) {
      for (let j = 0; j <= i; j++) l[(k0 + i) * n + k0 + j] = ld[i * kb + j];
    }
    const inv = Float32Array.from(lowerInverse(ld, kb));
    diagInv.push(inv);
    const rest = m - kb;
    if (rest > 0) {
      // L[k0+kb:, k0:k0+kb] = A[k0+kb:, k0:k0+kb] L_kk^-T
      kernels.sgemm(
        false,
        true,
        rest,
        kb,
        kb,
        1,
        panel.subarray(kb * kb),
        kb,
        inv,
        kb,
        0,
        solved,
        kb,
      );
      for (let r = 0; r < rest; r++)
        l.set(solved.subarray(r * kb, r * kb + kb), (k0 + kb + r) * n + k0);
    }
  }
  return { n, l, lt: transpose(l, n, n), diagInv };
}

/**
 * X = B (L Lᵀ)^-1 for B rows x n (row-major), by two blocked triangular solves on Y = Xᵀ
 * (L Lᵀ Y = Bᵀ): in that layout every operand of every product is a run of whole rows, so the
 * kernels copy in little more than what they multiply (a column-block layout copied the whole
 * right-hand side at every step, 6x the bytes).
 */
export function potrs32(
  kernels: Kernels,
  chol: Cholesky32,
  b: Float32Array,
  rows: number,
  out?: Float32Array,
): Float32Array {
  const { n, l, lt, diagInv } = chol;
  const res = out ?? new Float32Array(rows * n);
  if (rows === 0) return res;
  const y = transpose(b.subarray(0, rows * n), rows, n);
  const tmp = new Float32Array(Math.min(BLOCK, n) * rows);
  const blocks = diagInv.length;
  // L W = B^T, block rows top to bottom: W_J = L_JJ^-1 (B_J - L[J, :J] W[:J]).
  for (let blk = 0; blk < blocks; blk++) {
    const j0 = blk * BLOCK;
    const jb = Math.min(BLOCK, n - j0);
    const yj = y.subarray(j0 * rows);
    if (j0 > 0)
      kernels.sgemm(false, false, jb, rows, j0, -1, l.subarray(j0 * n), n, y, rows, 1, yj, rows);
    kernels.sgemm(false, false, jb, rows, jb, 1, diagInv[blk], jb, yj, rows, 0, tmp, rows);
    y.set(tmp.subarray(0, jb * rows), j0 * rows);
  }
  // L^T Y = W, block rows bottom to top: Y_J = L_JJ^-T (W_J - L^T[J, J+1:] Y[J+1:]).
  for (let blk = blocks - 1; blk >= 0; blk--) {
    const j0 = blk * BLOCK;
    const jb = Math.min(BLOCK, n - j0);
    const rest = n - j0 - jb;
    const yj = y.subarray(j0 * rows);
    if (rest > 0) {
      const ltPanel = lt.subarray(j0 * n + j0 + jb);
      kernels.sgemm(
        false,
        false,
        jb,
        rows,
        rest,
        -1,
        ltPanel,
        n,
        y.subarray((j0 + jb) * rows),
        rows,
        1,
        yj,
        rows,
      );
    }
    kernels.sgemm(true, false, jb, rows, jb, 1, diagInv[blk], jb, yj, rows, 0, tmp, rows);
    y.set(tmp.subarray(0, jb * rows), j0 * rows);
  }
  res.set(transpose(y, n, rows));
  return res;
}

/**
 * A cheap upper-leaning estimate of cond(G + shift I) = lambda_max / lambda_min: the Frobenius
 * norm for lambda_max (at most sqrt(n) times too big) and two inverse-iteration steps through
 * the float32 factor for lambda_min (too big by the convergence of two steps). Its job is to
 * catch the hopeless cases, which are orders of magnitude off.
 */
export function conditionEstimate(chol: Cholesky32, g: Float64Array, shift: number): number {
  const { n, l } = chol;
  let frob = 0;
  for (let i = 0; i < n; i++) {
    const o = i * n;
    for (let j = 0; j < n; j++) frob += g[o + j] * g[o + j];
    frob += 2 * shift * g[o + i] + shift * shift;
  }
  const next = mulberry32(0x5eed);
  let v: Float64Array = Float64Array.from({ length: n }, () => next() - 0.5);
  normalize(v);
  let small = Number.POSITIVE_INFINITY;
  for (let step = 0; step < 2; step++) {
    const w = choleskySolveVector(l, n, v);
    small = 1 / normalize(w);
    v = w;
  }
  return Math.sqrt(frob) / small;
}

function normalize(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}

// (L L^T)^-1 v in float64 with the float32 L: forward over rows of L, backward as axpys.
function choleskySolveVector(l: Float32Array, n: number, v: Float64Array): Float64Array {
  const y = Float64Array.from(v);
  for (let i = 0; i < n; i++) {
    let s = y[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    const xi = y[i] / l[i * n + i];
    y[i] = xi;
    for (let k = 0; k < i; k++) y[k] -= l[i * n + k] * xi;
  }
  return y;
}
