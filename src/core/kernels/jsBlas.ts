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
  const acc = new Float64Array(4 * n);
  const ai = new Float64Array(4 * k);
  for (let i0 = 0; i0 < m; i0 += 4) {
    const rows = Math.min(4, m - i0);
    // Rows of op(A), gathered once so the inner loops below are branch-free and contiguous.
    ai.fill(0);
    for (let r = 0; r < rows; r++) {
      for (let p = 0; p < k; p++)
        ai[r * k + p] = transA ? a[p * lda + i0 + r] : a[(i0 + r) * lda + p];
    }
    if (transB) {
      for (let r = 0; r < rows; r++) dotRow(ai.subarray(r * k), n, k, b, ldb, acc.subarray(r * n));
    } else {
      axpyRows4(ai, n, k, b, ldb, acc);
    }
    for (let r = 0; r < rows; r++) {
      const row = (i0 + r) * ldc;
      for (let j = 0; j < n; j++) {
        const v = alpha * acc[r * n + j];
        c[row + j] = beta === 0 ? v : v + beta * c[row + j];
      }
    }
  }
}

// op(B) = Bᵀ: row j of B is contiguous, so each C entry is one dot product.
function dotRow(
  ai: Float64Array,
  n: number,
  k: number,
  b: Float32Array,
  ldb: number,
  acc: Float64Array,
) {
  for (let j = 0; j < n; j++) {
    let s = 0;
    const bj = j * ldb;
    for (let p = 0; p < k; p++) s += ai[p] * b[bj + p];
    acc[j] = s;
  }
}

// op(B) = B: rows of B are contiguous, so four C rows accumulate as sums of scaled B rows,
// each B value loaded once for all four.
function axpyRows4(
  ai: Float64Array,
  n: number,
  k: number,
  b: Float32Array,
  ldb: number,
  acc: Float64Array,
) {
  acc.fill(0);
  for (let p = 0; p < k; p++) {
    const a0 = ai[p];
    const a1 = ai[k + p];
    const a2 = ai[2 * k + p];
    const a3 = ai[3 * k + p];
    const bp = p * ldb;
    for (let j = 0; j < n; j++) {
      const v = b[bp + j];
      acc[j] += a0 * v;
      acc[n + j] += a1 * v;
      acc[2 * n + j] += a2 * v;
      acc[3 * n + j] += a3 * v;
    }
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
