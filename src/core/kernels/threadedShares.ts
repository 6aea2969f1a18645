// The pieces of a split kernel call (threaded.ts): how the work is cut (near-equal ranges,
// equal-area triangle rows), how operands are packed into and out of the team's shared buffer,
// and the helper side that runs an assigned share with its own kernels.
import type { ShareRunner } from './threadedTeam.ts';

export const SGEMM = 1;
export const PROJECT = 2;
const ALIGN = 16;

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

/** Copies rows x cols of `src` (stride ld, from `at`) into `dst` contiguously. */
export function pack(
  dst: Float32Array,
  src: Float32Array,
  at: number,
  rows: number,
  cols: number,
  ld: number,
) {
  if (ld === cols) dst.set(src.subarray(at, at + rows * cols));
  else
    for (let r = 0; r < rows; r++) dst.set(src.subarray(at + r * ld, at + r * ld + cols), r * cols);
}

/** Copies contiguous rows x cols of `src` into `dst` (stride ld, from `at`). */
export function unpack(
  dst: Float32Array,
  at: number,
  ld: number,
  src: Float32Array,
  rows: number,
  cols: number,
) {
  if (ld === cols) dst.set(src.subarray(0, rows * cols), at);
  else for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols, (r + 1) * cols), at + r * ld);
}

/** A share handed to a helper: its parameters, and what to do with its results afterwards. */
export interface Share {
  op: number;
  params: number[];
  /** Fills the share's inputs in the shared buffer (after it has grown). */
  fill(data: SharedArrayBuffer): void;
  /** Copies the share's results out of the shared buffer. */
  collect(data: SharedArrayBuffer): void;
  /** Computes the share in this thread instead (a helper left before it was assigned). */
  local(): void;
}

/** Bytes from `at`, rounded up so the next region stays aligned. */
export function reserve(at: { bytes: number }, bytes: number): number {
  const off = at.bytes;
  at.bytes = Math.ceil((off + bytes) / ALIGN) * ALIGN;
  return off;
}

export const f32 = (data: SharedArrayBuffer, off: number, len: number) =>
  new Float32Array(data, off, len);

/** The helper side: runs the share assigned to `slot` (serveTeam's runner). */
export const runShare: ShareRunner = (base, control, slot) => {
  const data = control.team.data;
  const p = (i: number) => control.param(slot, i);
  if (control.op(slot) === SGEMM) {
    const a = f32(data, p(6), p(7));
    const b = p(9) === p(6) ? a : f32(data, p(9), p(10));
    const c = f32(data, p(13), p(14));
    base.sgemm(!!p(0), !!p(1), p(2), p(3), p(4), p(5), a, p(8), b, p(11), p(12), c, p(15));
  } else if (control.op(slot) === PROJECT) {
    const [off, len, channels, bits, candidates, offCodes, offScales, offValues] = [
      0, 1, 2, 3, 4, 5, 6, 7,
    ].map(p);
    const r = base.projectToGrid(f32(data, off, len), bits, { channels, candidates });
    new Int8Array(data, offCodes, len).set(r.codes);
    f32(data, offScales, channels).set(r.scales);
    f32(data, offValues, len).set(r.values);
  } else {
    throw new Error(`kernel helper: unknown op ${control.op(slot)}`);
  }
};
