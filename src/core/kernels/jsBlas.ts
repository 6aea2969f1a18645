// Plain TypeScript BLAS-like kernels: the fallback when WebAssembly SIMD is missing and the
// reference the WASM build is tested against. Sums are accumulated in float64 (JS numbers),
// so these are at least as accurate as the float32 SIMD kernels.

/** C = alpha * op(A) * op(B) + beta * C (row-major, BLAS semantics: beta = 0 ignores C). */
export function sgemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): void {
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    if (transB) dotRow(transA, i, n, k, a, lda, b, ldb, acc);
    else axpyRow(transA, i, n, k, a, lda, b, ldb, acc);
    const row = i * ldc;
    for (let j = 0; j < n; j++) {
      c[row + j] = beta === 0 ? alpha * acc[j] : alpha * acc[j] + beta * c[row + j];
    }
  }
}

// op(B) = Bᵀ: row j of B is contiguous, so each C entry is one dot product.
function dotRow(
  transA: boolean,
  i: number,
  n: number,
  k: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  acc: Float64Array,
): void {
  for (let j = 0; j < n; j++) {
    let s = 0;
    const bj = j * ldb;
    for (let p = 0; p < k; p++) s += (transA ? a[p * lda + i] : a[i * lda + p]) * b[bj + p];
    acc[j] = s;
  }
}

// op(B) = B: rows of B are contiguous, so accumulate the C row as a sum of scaled B rows.
function axpyRow(
  transA: boolean,
  i: number,
  n: number,
  k: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  acc: Float64Array,
): void {
  acc.fill(0);
  for (let p = 0; p < k; p++) {
    const aip = transA ? a[p * lda + i] : a[i * lda + p];
    const bp = p * ldb;
    for (let j = 0; j < n; j++) acc[j] += aip * b[bp + j];
  }
}

/** AᵀA of a rows x cols row-major matrix (cols x cols), float64 accumulation. */
export function gram(
  a: Float32Array,
  rows: number,
  cols: number,
  out?: Float32Array,
): Float32Array {
  const res = out ?? new Float32Array(cols * cols);
  const acc = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    const ar = r * cols;
    for (let c1 = 0; c1 < cols; c1++) {
      const v = a[ar + c1];
      const o = c1 * cols;
      for (let c2 = c1; c2 < cols; c2++) acc[o + c2] += v * a[ar + c2];
    }
  }
  for (let c1 = 0; c1 < cols; c1++) {
    for (let c2 = c1; c2 < cols; c2++) {
      res[c1 * cols + c2] = acc[c1 * cols + c2];
      res[c2 * cols + c1] = acc[c1 * cols + c2];
    }
  }
  return res;
}

export function hadamard(a: Float32Array, b: Float32Array, out?: Float32Array): Float32Array {
  if (a.length !== b.length) throw new RangeError(`hadamard: lengths ${a.length} != ${b.length}`);
  const res = out ?? new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) res[i] = a[i] * b[i];
  return res;
}
