// The chunks of a split kernel call (threaded.ts): how the work is cut (near-equal ranges,
// equal-area triangle rows), what one chunk computes, and the helper side, which computes
// chunks on views of the team's shared buffer where the owner computes them on its own arrays.
// A chunk is the same base call on both sides, so where it ran does not change a bit.
import type { ShareRunner } from './threadedTeam.ts';
import type { Kernels } from './types.ts';

export const SGEMM = 1;
export const GRAM = 2;
export const PROJECT = 3;

/** `total` items in `parts` near-equal ranges, boundaries on multiples of `align`. */
export function evenBounds(total: number, parts: number, align = 8): number[] {
  const bounds = [0];
  for (let p = 1; p < parts; p++) {
    const b = Math.round((total * p) / parts / align) * align;
    bounds.push(Math.min(total, Math.max(bounds[p - 1], b)));
  }
  bounds.push(total);
  return bounds;
}

/** Row ranges of an n x n upper triangle (row i has n - i entries) of near-equal area. */
export function triangleBounds(n: number, parts: number, align = 8): number[] {
  const bounds = [0];
  for (let p = 1; p < parts; p++) {
    // Rows 0..r hold r (n - r/2) entries: solve r^2/2 - n r + (p/parts) n^2/2 = 0.
    const r = n - n * Math.sqrt(1 - p / parts);
    const b = Math.round(r / align) * align;
    bounds.push(Math.min(n, Math.max(bounds[p - 1], b)));
  }
  bounds.push(n);
  return bounds;
}

/** sgemm's parameters, as the call block holds them. */
export interface SgemmCall {
  ta: boolean;
  tb: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  lda: number;
  ldb: number;
  beta: number;
  ldc: number;
  /** Split the rows of C (else its columns) into `chunks`. */
  byRows: boolean;
  chunks: number;
}

/** Chunk i of an sgemm: rows or columns lo..hi of C, from the same-layout a, b, c. */
export function sgemmChunk(
  base: Kernels,
  p: SgemmCall,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  i: number,
): void {
  const bounds = evenBounds(p.byRows ? p.m : p.n, p.chunks);
  const [lo, hi] = [bounds[i], bounds[i + 1]];
  if (hi === lo) return;
  if (p.byRows) {
    const aPart = a.subarray(p.ta ? lo : lo * p.lda);
    const cPart = c.subarray(lo * p.ldc);
    base.sgemm(
      p.ta,
      p.tb,
      hi - lo,
      p.n,
      p.k,
      p.alpha,
      aPart,
      p.lda,
      b,
      p.ldb,
      p.beta,
      cPart,
      p.ldc,
    );
  } else {
    // A column block of C is strided: a kernel given it in place may write back the whole span,
    // gaps included (wasmSgemm does), over the columns another helper is writing at the same
    // time. So the block goes through a private dense copy, and only its own elements come back.
    const w = hi - lo;
    const block = new Float32Array(p.m * w);
    if (p.beta !== 0) {
      for (let r = 0; r < p.m; r++) block.set(c.subarray(r * p.ldc + lo, r * p.ldc + hi), r * w);
    }
    const bPart = b.subarray(p.tb ? lo * p.ldb : lo);
    base.sgemm(p.ta, p.tb, p.m, w, p.k, p.alpha, a, p.lda, bPart, p.ldb, p.beta, block, w);
    for (let r = 0; r < p.m; r++) c.set(block.subarray(r * w, (r + 1) * w), r * p.ldc + lo);
  }
}

/** Chunk i of a Gram: rows lo..hi of its upper triangle (columns lo..cols) into c (cols x cols). */
export function gramChunk(
  base: Kernels,
  rows: number,
  cols: number,
  chunks: number,
  a: Float32Array,
  c: Float32Array,
  i: number,
): void {
  const bounds = triangleBounds(cols, chunks);
  const [lo, hi] = [bounds[i], bounds[i + 1]];
  if (hi === lo) return;
  // Every entry is the float32 sum over `rows` that wasmGram's blocks (and sgemm) compute.
  const at = a.subarray(lo);
  base.sgemm(
    true,
    false,
    hi - lo,
    cols - lo,
    rows,
    1,
    at,
    cols,
    at,
    cols,
    0,
    c.subarray(lo * cols + lo),
    cols,
  );
}

/** Outputs of a per-channel projection, written chunk by chunk. */
export interface ProjectTargets {
  codes: Int8Array;
  scales: Float32Array;
  values: Float32Array;
}

/** Chunk i of a per-channel projection: channels lo..hi of x into the targets. */
export function projectChunk(
  base: Kernels,
  x: Float32Array,
  channels: number,
  chunks: number,
  bits: number,
  candidates: number,
  out: ProjectTargets,
  i: number,
): void {
  const bounds = evenBounds(channels, chunks, 1);
  const [lo, hi] = [bounds[i], bounds[i + 1]];
  if (hi === lo) return;
  const rowLen = x.length / channels;
  const r = base.projectToGrid(x.subarray(lo * rowLen, hi * rowLen), bits, {
    channels: hi - lo,
    candidates,
  });
  out.codes.set(r.codes, lo * rowLen);
  out.scales.set(r.scales, lo);
  out.values.set(r.values, lo * rowLen);
}

const f32 = (data: SharedArrayBuffer, off: number, len: number) => new Float32Array(data, off, len);

/** The helper side (serveTeam's runner): chunks of the call in the control block, on views. */
export const runShare: ShareRunner = (base, control) => {
  const data = control.team.data;
  const p = (i: number) => control.param(i);
  const op = control.op();
  let take: (i: number) => void;
  if (op === SGEMM) {
    const call = sgemmCallFrom(p);
    const a = f32(data, p(12), p(13));
    const b = f32(data, p(14), p(15));
    const c = f32(data, p(16), p(17));
    take = (i) => sgemmChunk(base, call, a, b, c, i);
  } else if (op === GRAM) {
    const [rows, cols, chunks, offA, offC] = [0, 1, 2, 3, 4].map(p);
    const a = f32(data, offA, rows * cols);
    const c = f32(data, offC, cols * cols);
    take = (i) => gramChunk(base, rows, cols, chunks, a, c, i);
  } else if (op === PROJECT) {
    const [len, channels, chunks, bits, candidates, offX, offCodes, offScales, offValues] = [
      0, 1, 2, 3, 4, 5, 6, 7, 8,
    ].map(p);
    const x = f32(data, offX, len);
    const out = {
      codes: new Int8Array(data, offCodes, len),
      scales: f32(data, offScales, channels),
      values: f32(data, offValues, len),
    };
    take = (i) => projectChunk(base, x, channels, chunks, bits, candidates, out, i);
  } else {
    throw new Error(`kernel helper: unknown op ${op}`);
  }
  for (let i = control.takeChunk(true); i >= 0; i = control.takeChunk(true)) take(i);
};

/** The sgemm call's first 12 parameters, in the order sgemmParams writes them. */
export function sgemmParams(c: SgemmCall): number[] {
  return [+c.ta, +c.tb, c.m, c.n, c.k, c.alpha, c.lda, c.ldb, c.beta, c.ldc, +c.byRows, c.chunks];
}

function sgemmCallFrom(p: (i: number) => number): SgemmCall {
  const [ta, tb, m, n, k, alpha, lda, ldb, beta, ldc, byRows, chunks] = Array.from(
    { length: 12 },
    (_, i) => p(i),
  );
  return { ta: !!ta, tb: !!tb, m, n, k, alpha, lda, ldb, beta, ldc, byRows: !!byRows, chunks };
}
