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
  const [pa, pb, pc, pw] = arena.layout(aLen * 4, bLen * 4, cLen * 4, work);
  arena.f32(pa, aLen).set(a.subarray(0, aLen));
  arena.f32(pb, bLen).set(b.subarray(0, bLen));
  // C goes in whole, gaps between rows included, so copying it back leaves them untouched.
  // With beta = 0 and no gaps, sgemm overwrites every element: nothing to copy in.
  if (beta !== 0 || ldc !== n) arena.f32(pc, cLen).set(c.subarray(0, cLen));
  ex.sgemm(+transA, +transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, pw);
  c.set(arena.f32(pc, cLen));
}
