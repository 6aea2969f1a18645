// Typed wrappers over the sgemm export: copy operands into wasm memory, run, copy C back.
import type { WasmArena } from './wasmArena.ts';

export interface BlasExports {
  sgemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
    work: number,
  ): void;
  sgemmWorkBytes(m: number, n: number, k: number): number;
}

/** Elements a row-major matrix with `rows` rows of `cols` used entries and stride ld spans. */
export function extent(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

function checkOperand(
  name: string,
  arr: Float32Array,
  rows: number,
  cols: number,
  ld: number,
): number {
  if (ld < cols) throw new RangeError(`sgemm: ld${name} ${ld} < ${cols}`);
  const len = extent(rows, cols, ld);
  if (arr.length < len) throw new RangeError(`sgemm: ${name} has ${arr.length} < ${len} elements`);
  return len;
}

export function wasmSgemm(
  ex: BlasExports,
  arena: WasmArena,
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
  if (m === 0 || n === 0) return;
  const aLen = transA ? checkOperand('A', a, k, m, lda) : checkOperand('A', a, m, k, lda);
  const bLen = transB ? checkOperand('B', b, n, k, ldb) : checkOperand('B', b, k, n, ldb);
  const cLen = checkOperand('C', c, m, n, ldc);
  const work = ex.sgemmWorkBytes(m, n, k);
  // B that is a leading part of A's values (blocked Cholesky's L[k0:, :k0] L[k0:k0+kb, :k0]^T,
  // a Gram) is read from A's copy: one copy, not two.
  const shared = b.buffer === a.buffer && b.byteOffset === a.byteOffset && bLen <= aLen;
  const [pa, pb0, pc, pw] = arena.layout(aLen * 4, shared ? 0 : bLen * 4, cLen * 4, work);
  const pb = shared ? pa : pb0;
  arena.f32(pa, aLen).set(a.subarray(0, aLen));
  if (!shared) arena.f32(pb, bLen).set(b.subarray(0, bLen));
  // C goes in whole, gaps between rows included, so copying it back leaves them untouched.
  // With beta = 0 and no gaps, sgemm overwrites every element: nothing to copy in.
  if (beta !== 0 || ldc !== n) arena.f32(pc, cLen).set(c.subarray(0, cLen));
  ex.sgemm(+transA, +transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, pw);
  c.set(arena.f32(pc, cLen));
}

// Column-block width of the Gram's upper-triangle blocks: at cols = 1,141, 5 blocks and 15 of
// 25 block products, ~40 % less work than the full product.
const GRAM_BLOCK = 256;

/**
 * AᵀA (cols x cols) for A rows x cols: A is copied into wasm memory once, sgemm computes the
 * blocks on and above the diagonal, and the lower triangle is mirrored. Every entry is the
 * same float32 sum the full product computes (sgemm's accumulation order depends only on k),
 * so the result is bitwise that of `sgemm(true, false, ...)`, and exactly symmetric.
 */
export function wasmGram(
  ex: BlasExports,
  arena: WasmArena,
  a: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
): void {
  const len = rows * cols;
  if (a.length < len) throw new RangeError(`gram: A has ${a.length} < ${len} elements`);
  const width = Math.min(GRAM_BLOCK, cols);
  const work = ex.sgemmWorkBytes(width, cols, rows);
  const [pa, pc, pw] = arena.layout(len * 4, cols * cols * 4, work);
  arena.f32(pa, len).set(a.subarray(0, len));
  for (let i0 = 0; i0 < cols; i0 += GRAM_BLOCK) {
    const mb = Math.min(GRAM_BLOCK, cols - i0);
    // Rows i0..i0+mb of the Gram, from column i0 on: one product per block row.
    ex.sgemm(
      1,
      0,
      mb,
      cols - i0,
      rows,
      1,
      pa + i0 * 4,
      cols,
      pa + i0 * 4,
      cols,
      0,
      pc + (i0 * cols + i0) * 4,
      cols,
      pw,
    );
  }
  const c = arena.f32(pc, cols * cols);
  out.set(c.subarray(0, cols * cols));
  for (let i = 1; i < cols; i++) {
    const row = i * cols;
    for (let j = 0; j < i; j++) out[row + j] = out[j * cols + i];
  }
}
