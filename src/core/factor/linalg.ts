// Small dense float64 linear algebra that the kernel contract does not cover: a symmetric
// eigensolver for SVD/HOSVD initialisation and a few reductions. Sizes here are at most a few
// hundred, where cyclic Jacobi is exact, simple and fully deterministic (no parallel sums).

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
