// Small dense float64 linear algebra that the kernel contract does not cover: symmetric
// eigensolvers for SVD/HOSVD initialisation and a few reductions. All of it is sequential and
// deterministic (no parallel sums), so Node and every browser give the same bits.
//
// `dsyevQl` (Householder tridiagonalisation, then implicit QL) is the one the engine uses, on
// the small projected matrices of the randomized start (rangeFinder.ts); `dsyev` (cyclic
// Jacobi, about 30x slower at n = 512) is kept as the old start's peer for the benchmarks.

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** n x n row-major; column c is the eigenvector of values[c]. */
  vectors: Float64Array;
}

/** Cyclic Jacobi eigendecomposition of a symmetric n x n matrix (row-major, not modified). */
export function dsyev(a: Float64Array, n: number, maxSweeps = 60): SymmetricEigen {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    if (offDiagonalNorm(m, n) <= 1e-15 * diagonalNorm(m, n)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) jacobiRotate(m, v, n, p, q);
    }
  }
  return sortEigen(m, v, n);
}

/**
 * Eigendecomposition of a symmetric n x n matrix (row-major, not modified) by Householder
 * reduction to tridiagonal form and the implicit QL method with Wilkinson-style shifts
 * (EISPACK tred2/tql2 as in JAMA, public domain). Returns the eigenvectors as the ROWS of
 * `rows` (row c belongs to values[c]), descending, each with its largest entry positive.
 * The working matrix is kept transposed relative to JAMA's, so every inner loop runs over
 * contiguous memory.
 */
export function dsyevQl(a: Float64Array, n: number): { values: Float64Array; rows: Float64Array } {
  const w = new Float64Array(n * n);
  // Lower triangle, transposed: w[j*n + k] = A[k][j] for k >= j (the triangle tred2 reads).
  for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) w[j * n + k] = a[k * n + j];
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n > 0) {
    tred2(w, d, e, n);
    tql2(w, d, e, n);
  }
  return sortRows(w, d, n);
}

// Householder tridiagonalisation of the symmetric matrix held in w (transposed: w[j*n + k] is
// JAMA's V[k][j]); leaves the diagonal in d, the subdiagonal in e and the orthogonal
// transformation in w.
function tred2(w: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = w[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = w[j * n + i - 1];
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
      d[i] = h;
      continue;
    }
    for (let k = 0; k < i; k++) {
      d[k] /= scale;
      h += d[k] * d[k];
    }
    let f = d[i - 1];
    let g = Math.sqrt(h);
    if (f > 0) g = -g;
    e[i] = scale * g;
    h -= f * g;
    d[i - 1] = f - g;
    for (let j = 0; j < i; j++) e[j] = 0;
    for (let j = 0; j < i; j++) {
      const wj = j * n;
      f = d[j];
      w[i * n + j] = f;
      g = e[j] + w[wj + j] * f;
      for (let k = j + 1; k <= i - 1; k++) {
        g += w[wj + k] * d[k];
        e[k] += w[wj + k] * f;
      }
      e[j] = g;
    }
    f = 0;
    for (let j = 0; j < i; j++) {
      e[j] /= h;
      f += e[j] * d[j];
    }
    const hh = f / (h + h);
    for (let j = 0; j < i; j++) e[j] -= hh * d[j];
    for (let j = 0; j < i; j++) {
      const wj = j * n;
      f = d[j];
      g = e[j];
      for (let k = j; k <= i - 1; k++) w[wj + k] -= f * e[k] + g * d[k];
      d[j] = w[wj + i - 1];
      w[wj + i] = 0;
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    const wi = i * n;
    const wi1 = (i + 1) * n;
    w[wi + n - 1] = w[wi + i];
    w[wi + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = w[wi1 + k] / h;
      for (let j = 0; j <= i; j++) {
        const wj = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += w[wi1 + k] * w[wj + k];
        for (let k = 0; k <= i; k++) w[wj + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) w[wi1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j * n + n - 1];
    w[j * n + n - 1] = 0;
  }
  w[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

// Implicit QL on the tridiagonal (d, e); rotations are applied to rows of w, which end up the
// eigenvectors.
function tql2(w: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    // NaN input would never meet the test: a bounded number of steps keeps it from hanging.
    for (let iter = 0; m > l && iter < 60; iter++) {
      let g = d[l];
      let p = (d[l + 1] - g) / (2 * e[l]);
      let r = Math.sqrt(p * p + 1);
      if (p < 0) r = -r;
      d[l] = e[l] / (p + r);
      d[l + 1] = e[l] * (p + r);
      const dl1 = d[l + 1];
      let h = g - d[l];
      for (let i = l + 2; i < n; i++) d[i] -= h;
      f += h;
      p = d[m];
      let c = 1;
      let c2 = c;
      let c3 = c;
      const el1 = e[l + 1];
      let s = 0;
      let s2 = 0;
      for (let i = m - 1; i >= l; i--) {
        c3 = c2;
        c2 = c;
        s2 = s;
        g = c * e[i];
        h = c * p;
        r = Math.sqrt(p * p + e[i] * e[i]);
        e[i + 1] = s * r;
        s = e[i] / r;
        c = p / r;
        p = c * d[i] - s * g;
        d[i + 1] = h + s * (c * g + s * d[i]);
        const wi = i * n;
        const wi1 = wi + n;
        for (let k = 0; k < n; k++) {
          const t = w[wi1 + k];
          w[wi1 + k] = s * w[wi + k] + c * t;
          w[wi + k] = c * w[wi + k] - s * t;
        }
      }
      p = (-s * s2 * c3 * el1 * e[l]) / dl1;
      e[l] = s * p;
      d[l] = c * p;
      if (!(Math.abs(e[l]) > eps * tst1)) break;
    }
    d[l] += f;
    e[l] = 0;
  }
}

function sortRows(w: Float64Array, d: Float64Array, n: number) {
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => d[y] - d[x] || x - y);
  const values = new Float64Array(n);
  const rows = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = d[src];
    const row = w.subarray(src * n, src * n + n);
    let big = 0;
    for (let k = 0; k < n; k++) if (Math.abs(row[k]) > Math.abs(big)) big = row[k];
    const sign = big < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) rows[dst * n + k] = sign * row[k];
  });
  return { values, rows };
}

function offDiagonalNorm(m: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (i !== j) s += m[i * n + j] * m[i * n + j];
  }
  return Math.sqrt(s);
}

function diagonalNorm(m: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += m[i * n + i] * m[i * n + i];
  return Math.sqrt(s) || 1;
}

// Zeroes m[p,q] with one rotation (Golub & Van Loan, Algorithm 8.5.2), updating m and v.
function jacobiRotate(m: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = m[p * n + q];
  if (apq === 0) return;
  const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const mkp = m[k * n + p];
    const mkq = m[k * n + q];
    m[k * n + p] = c * mkp - s * mkq;
    m[k * n + q] = s * mkp + c * mkq;
  }
  for (let k = 0; k < n; k++) {
    const mpk = m[p * n + k];
    const mqk = m[q * n + k];
    m[p * n + k] = c * mpk - s * mqk;
    m[q * n + k] = s * mpk + c * mqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p];
    const vkq = v[k * n + q];
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}

function sortEigen(m: Float64Array, v: Float64Array, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i);
  // Ties broken by index so the order never depends on the sort implementation.
  order.sort((x, y) => m[y * n + y] - m[x * n + x] || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = m[src * n + src];
    // Fix each eigenvector's sign (largest-magnitude entry positive) for reproducibility.
    let big = 0;
    for (let k = 0; k < n; k++) if (Math.abs(v[k * n + src]) > Math.abs(big)) big = v[k * n + src];
    const sign = big < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = sign * v[k * n + src];
  });
  return { values, vectors };
}

/**
 * The transpose of a rows x cols row-major matrix, in 32 x 32 tiles (a plain loop writes with
 * stride `rows` and misses the cache on every store).
 */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i0 = 0; i0 < rows; i0 += 32) {
    const i1 = Math.min(rows, i0 + 32);
    for (let j0 = 0; j0 < cols; j0 += 32) {
      const j1 = Math.min(cols, j0 + 32);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) t[j * rows + i] = x[i * cols + j];
    }
  }
  return t;
}

/** L^-1 of a lower-triangular n x n matrix (row-major), row by row as axpys over rows of L^-1. */
export function lowerInverse(l: ArrayLike<number>, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const oi = i * n;
    inv[oi + i] = 1;
    for (let k = 0; k < i; k++) {
      const c = l[oi + k];
      if (c === 0) continue;
      const ok = k * n;
      for (let j = 0; j <= k; j++) inv[oi + j] -= c * inv[ok + j];
    }
    const d = 1 / l[oi + i];
    for (let j = 0; j <= i; j++) inv[oi + j] *= d;
  }
  return inv;
}

/** Sum of squares in float64. */
export function sumSquares(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** Sum of elementwise products in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Trace of an n x n row-major matrix. */
export function trace(g: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += g[i * n + i];
  return s;
}
