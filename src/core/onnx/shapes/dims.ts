// Shapes whose dims are numbers (static), names (symbolic, e.g. "batch") or UNKNOWN_DIM.

/** A static size, a symbolic name, or UNKNOWN_DIM. */
export type Dim = number | string;
export type Shape = Dim[];
export const UNKNOWN_DIM = '?';

/** A small folded tensor; entries may be symbolic when it holds a shape (Shape -> Gather ...). */
export interface ConstValue {
  dims: number[];
  values: Dim[];
}

/** What inference knows about one value; any part may be missing. */
export interface ValueState {
  shape?: Shape;
  elemType?: number;
  value?: ConstValue;
}

export function isStatic(shape: readonly Dim[]): shape is number[] {
  return shape.every((d) => typeof d === 'number');
}

/** Product of dims: a number, a lone symbol times 1s, or unknown. */
export function prodDims(dims: readonly Dim[]): Dim {
  let n = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else symbols.push(d);
  }
  if (symbols.length === 0) return n;
  if (n === 0) return 0;
  return symbols.length === 1 && n === 1 && symbols[0] !== UNKNOWN_DIM ? symbols[0] : UNKNOWN_DIM;
}

/** Elementwise numeric op on dims; symbols survive only identities like x*1, x+0. */
export function mapDim(d: Dim, f: (n: number) => number, identity: boolean): Dim {
  if (typeof d === 'number') return f(d);
  return identity ? d : UNKNOWN_DIM;
}

function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === b) return a;
  if (typeof a === 'number' && typeof b === 'number') {
    throw new Error(`cannot broadcast ${a} with ${b}`);
  }
  // A symbol against a number > 1 must equal that number for the model to be valid.
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return UNKNOWN_DIM;
}

/** Numpy-style multidirectional broadcasting. */
export function broadcastShapes(shapes: readonly Shape[]): Shape {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const j = i - (rank - s.length);
      if (j >= 0) d = broadcastDim(d, s[j]);
    }
    out.push(d);
  }
  return out;
}

export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function formatShape(shape: readonly Dim[] | undefined): string {
  return shape ? `[${shape.join(', ')}]` : '?';
}

// UINT8, INT8, UINT16, INT16, INT32, INT64, BOOL, UINT32, UINT64, UINT4, INT4.
const INTEGER_TYPES = new Set<number>([2, 3, 4, 5, 6, 7, 9, 12, 13, 21, 22]);

/** Folded arithmetic on these element types truncates like the runtime does. */
export function isIntegerType(elemType: number | undefined): boolean {
  return elemType !== undefined && INTEGER_TYPES.has(elemType);
}
