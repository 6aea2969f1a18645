// Reshape target resolution and Slice index arithmetic, shared by shape inference and folding.
import { type Dim, type Shape, UNKNOWN_DIM } from './dims.ts';

/** Slice `ends` at or beyond this mean "to the end" (exporters write INT32_MAX or INT64_MAX). */
const TO_END = 2 ** 31 - 1;

function clampIndex(i: number, size: number, lo: number, hi: number): number {
  const v = i < 0 ? i + size : i;
  return Math.min(Math.max(v, lo), hi);
}

/** Indices an ONNX Slice selects on an axis of length `size`. */
export function sliceRange(size: number, start: number, end: number, step: number): number[] {
  if (step === 0) throw new Error('Slice step 0');
  const [lo, hi] = step > 0 ? [0, size] : [-1, size - 1];
  const s = clampIndex(start, size, 0, step > 0 ? size : size - 1);
  const e = clampIndex(end, size, lo, hi);
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

export function sliceDim(d: Dim, start: number, end: number, step: number): Dim {
  if (typeof d === 'number') {
    if (step === 0) throw new Error('Slice step 0');
    const s = clampIndex(start, d, 0, step > 0 ? d : d - 1);
    const e = clampIndex(end, d, step > 0 ? 0 : -1, step > 0 ? d : d - 1);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  // A symbolic axis keeps its name only when sliced whole.
  return start === 0 && end >= TO_END && step === 1 ? d : UNKNOWN_DIM;
}

/** Splits dims into their numeric product and their symbol names. */
function factor(dims: readonly Dim[]): { n: number; symbols: string[] } {
  let n = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else symbols.push(d);
  }
  return { n, symbols };
}

/** The -1 of a Reshape: symbols common to both sides cancel, the numeric rest divides. */
function inferredDim(input: readonly Dim[], known: readonly Dim[]): Dim {
  const a = factor(input);
  const b = factor(known);
  const left = [...a.symbols];
  const right: string[] = [];
  for (const s of b.symbols) {
    const at = s === UNKNOWN_DIM ? -1 : left.indexOf(s);
    if (at >= 0) left.splice(at, 1);
    else right.push(s);
  }
  if (right.length > 0 || b.n === 0) return UNKNOWN_DIM;
  if (left.length === 0) return a.n / b.n;
  if (left.length === 1 && left[0] !== UNKNOWN_DIM && a.n === b.n) return left[0];
  return UNKNOWN_DIM;
}

/** Output shape of Reshape(x, target); 0 copies the input dim unless allowzero. */
export function reshapeDims(x: Shape, target: readonly Dim[], allowZero: boolean): Shape {
  const out: Shape = target.map((t, i) => (t === 0 && !allowZero ? x[i] : t));
  const free = out.indexOf(-1);
  if (free >= 0) {
    const known = out.filter((_, i) => i !== free);
    out[free] = inferredDim(x, known);
  }
  return out;
}
