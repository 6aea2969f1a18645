// Cholesky factorisation and solves in float64. ADMM calls potrs thousands of times per layer
// with the same L, so potrs works row by row on contiguous rows of L only.
import { NotPositiveDefiniteError } from './types.ts';

/** G = L Lᵀ; reads only the lower triangle of G. Throws on a pivot that is not > 0 (or NaN). */
export function potrf(g: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const li = i * n;
    for (let j = 0; j <= i; j++) {
      const lj = j * n;
      let s = g[li + j];
      for (let k = 0; k < j; k++) s -= l[li + k] * l[lj + k];
      if (i === j) {
        // `!(s > 0)` also catches NaN, so a bad G never leaks NaNs into the factor.
        if (!(s > 0)) throw new NotPositiveDefiniteError(i);
        l[li + i] = Math.sqrt(s);
      } else {
        l[li + j] = s / l[lj + j];
      }
    }
  }
  return l;
}

/** Solves X G = B (G = L Lᵀ) for the nrhs x n matrix B in place. */
export function potrs(l: Float64Array, n: number, b: Float64Array, nrhs: number): void {
  const invDiag = new Float64Array(n);
  for (let i = 0; i < n; i++) invDiag[i] = 1 / l[i * n + i];
  for (let r = 0; r < nrhs; r++) {
    const o = r * n;
    // x G = b  <=>  L (Lᵀ xᵀ) = bᵀ: forward substitution with rows of L ...
    for (let i = 0; i < n; i++) {
      const li = i * n;
      let s = b[o + i];
      for (let k = 0; k < i; k++) s -= l[li + k] * b[o + k];
      b[o + i] = s * invDiag[i];
    }
    // ... then backward substitution with Lᵀ, done as axpys over rows of L (column access of
    // L would stride by n).
    for (let i = n - 1; i >= 0; i--) {
      const xi = b[o + i] * invDiag[i];
      b[o + i] = xi;
      const li = i * n;
      for (let k = 0; k < i; k++) b[o + k] -= l[li + k] * xi;
    }
  }
}
