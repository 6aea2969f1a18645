// Evaluating the few ops exporters put between a stored constant and the layer that reads it
// (Identity, Cast, Reshape, Transpose, Squeeze/Unsqueeze, Flatten, DequantizeLinear, and
// elementwise Mul/Div/Add/Sub as in weight normalisation), so a weight given that way becomes a
// plain initializer. Arithmetic is float32 like onnxruntime's; anything else returns null and
// the chain stays as it was (the layer is then reported as "weight is computed at run time").
import { attrInt, attrInts } from './attributes.ts';
import { makeTensor } from './builders.ts';
import { elementCount, type TensorArray, tensorToArray, tensorToFloat32 } from './tensor.ts';
import { DataType, type NodeProto, type TensorProto } from './types.ts';

export const FOLDABLE_OPS = new Set([
  'Identity',
  'Cast',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'DequantizeLinear',
  'Mul',
  'Div',
  'Add',
  'Sub',
]);

/** Types whose elements we can move around and rebuild with makeTensor. */
const MOVABLE = new Set<number>([
  DataType.FLOAT,
  DataType.DOUBLE,
  DataType.FLOAT16,
  DataType.INT8,
  DataType.UINT8,
  DataType.INT16,
  DataType.UINT16,
  DataType.INT32,
  DataType.UINT32,
  DataType.INT64,
  DataType.BOOL,
]);

/** Values of `t` as makeTensor wants them (FLOAT16 as numbers, not bit patterns). */
function values(t: TensorProto): TensorArray | Float32Array {
  return t.dataType === DataType.FLOAT16 ? tensorToFloat32(t) : tensorToArray(t);
}

function withData(name: string, like: TensorProto, dims: number[], data: ArrayLike<unknown>) {
  return makeTensor(name, like.dataType ?? 0, dims, data as ArrayLike<number>);
}

function ints(t: TensorProto | undefined): number[] | null {
  if (!t) return null;
  return Array.from(tensorToArray(t) as ArrayLike<number | bigint>, Number);
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function reshapeDims(dims: number[], shape: number[], allowzero: boolean): number[] | null {
  const out = shape.map((d, i) => (d === 0 && !allowzero ? dims[i] : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = elementCount(dims);
  const free = out.indexOf(-1);
  if (free >= 0) {
    if (known === 0 || total % known !== 0) return null;
    out[free] = total / known;
  }
  return elementCount(out) === total ? out : null;
}

function transpose(t: TensorProto, perm: number[] | undefined, name: string): TensorProto {
  const dims = t.dims ?? [];
  const p = perm ?? dims.map((_, i) => dims.length - 1 - i);
  const outDims = p.map((i) => dims[i]);
  const src = values(t);
  const inStrides = strides(dims);
  const outStrides = strides(outDims);
  const out = new Array(src.length);
  for (let i = 0; i < src.length; i++) {
    let rest = i;
    let from = 0;
    for (let d = 0; d < outDims.length; d++) {
      const q = Math.floor(rest / outStrides[d]);
      rest -= q * outStrides[d];
      from += q * inStrides[p[d]];
    }
    out[i] = src[from];
  }
  return withData(name, t, outDims, out);
}

function strides(dims: readonly number[]): number[] {
  const s = dims.map(() => 1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/** numpy broadcasting of two shapes; null when they do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Index into a tensor of `dims` for each element of the broadcast shape `out`. */
function broadcastIndex(dims: readonly number[], out: readonly number[]): Int32Array {
  const count = elementCount(out);
  const inStrides = strides(dims);
  const outStrides = strides(out);
  const shift = out.length - dims.length;
  const idx = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let rest = i;
    let from = 0;
    for (let d = 0; d < out.length; d++) {
      const q = Math.floor(rest / outStrides[d]);
      rest -= q * outStrides[d];
      const k = d - shift;
      if (k >= 0 && dims[k] !== 1) from += q * inStrides[k];
    }
    idx[i] = from;
  }
  return idx;
}

const ARITH: Record<string, (x: number, y: number) => number> = {
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
};

function elementwise(node: NodeProto, a: TensorProto, b: TensorProto, name: string) {
  if (a.dataType !== DataType.FLOAT || b.dataType !== DataType.FLOAT) return null;
  const out = broadcastDims(a.dims ?? [], b.dims ?? []);
  if (!out) return null;
  const x = tensorToFloat32(a);
  const y = tensorToFloat32(b);
  const ix = broadcastIndex(a.dims ?? [], out);
  const iy = broadcastIndex(b.dims ?? [], out);
  const f = ARITH[node.opType ?? ''];
  const data = new Float32Array(ix.length);
  for (let i = 0; i < data.length; i++) data[i] = f(x[ix[i]], y[iy[i]]);
  return makeTensor(name, DataType.FLOAT, out, data);
}

function dequantize(node: NodeProto, [x, scale, zp]: (TensorProto | undefined)[], name: string) {
  if (!x || !scale || scale.dataType !== DataType.FLOAT) return null;
  const q = Array.from(tensorToArray(x) as ArrayLike<number | bigint>, Number);
  const s = tensorToFloat32(scale);
  const z = zp ? ints(zp)! : null;
  if (z && z.length !== s.length) return null;
  const dims = x.dims ?? [];
  const axis = normAxis(attrInt(node, 'axis', 1), dims.length);
  const block = attrInt(node, 'block_size', 0);
  const index = block > 0 ? blockIndex(dims, scale.dims ?? [], axis, block) : null;
  if (block > 0 && !index) return null;
  const perAxis = s.length > 1;
  const inner = perAxis ? elementCount(dims.slice(axis + 1)) : 1;
  const channels = perAxis ? dims[axis] : 1;
  const data = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = index ? index(i) : perAxis ? Math.floor(i / inner) % channels : 0;
    data[i] = Math.fround(q[i] - (z ? z[c] : 0)) * s[c];
  }
  return makeTensor(name, DataType.FLOAT, dims, data);
}

/**
 * Blocked quantization (opset 21): the scale has x's shape with ceil(dims[axis] / block) along
 * `axis`; element i reads the scale of its block. Null when the shapes do not agree.
 */
function blockIndex(dims: number[], scaleDims: readonly number[], axis: number, block: number) {
  const blocks = Math.ceil(dims[axis] / block);
  if (
    scaleDims.length !== dims.length ||
    scaleDims.some((d, k) => d !== (k === axis ? blocks : dims[k]))
  )
    return null;
  const inner = elementCount(dims.slice(axis + 1));
  return (i: number) => {
    const outer = Math.floor(i / (inner * dims[axis]));
    const a = Math.floor(i / inner) % dims[axis];
    return (outer * blocks + Math.floor(a / block)) * inner + (i % inner);
  };
}

const FLOATS = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16]);

function cast(node: NodeProto, t: TensorProto, name: string): TensorProto | null {
  const to = attrInt(node, 'to', 0);
  if (!MOVABLE.has(to)) return null;
  const from = t.dataType ?? 0;
  const src = from === DataType.BFLOAT16 ? tensorToFloat32(t) : values(t);
  // Float -> integer casts truncate (C semantics, as onnxruntime does).
  const data = Array.from(src as ArrayLike<number | bigint>, (v) =>
    typeof v === 'bigint' ? Number(v) : FLOATS.has(to) ? v : Math.trunc(v),
  );
  return makeTensor(name, to, t.dims ?? [], data);
}

function squeeze(node: NodeProto, t: TensorProto, axesIn: TensorProto | undefined, name: string) {
  const dims = t.dims ?? [];
  const given = ints(axesIn) ?? attrInts(node, 'axes');
  const axes = given?.map((a) => normAxis(a, dims.length));
  const out = dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  return withData(name, t, out, values(t));
}

function unsqueeze(node: NodeProto, t: TensorProto, axesIn: TensorProto | undefined, name: string) {
  const given = ints(axesIn) ?? attrInts(node, 'axes');
  if (!given) return null;
  const rank = (t.dims ?? []).length + given.length;
  const axes = new Set(given.map((a) => normAxis(a, rank)));
  const out: number[] = [];
  const src = [...(t.dims ?? [])];
  for (let i = 0; i < rank; i++) out.push(axes.has(i) ? 1 : (src.shift() ?? 1));
  return withData(name, t, out, values(t));
}

/**
 * The output of `node` given constant inputs (undefined for an absent optional input), named
 * `name`; null when the op or its types are not handled here.
 */
export function foldNode(
  node: NodeProto,
  inputs: (TensorProto | undefined)[],
  name: string,
): TensorProto | null {
  const op = node.opType ?? '';
  const t = inputs[0];
  if (!t || !FOLDABLE_OPS.has(op)) return null;
  if (op === 'DequantizeLinear') return dequantize(node, inputs, name);
  if (!MOVABLE.has(t.dataType ?? 0) && !(op === 'Cast' && t.dataType === DataType.BFLOAT16))
    return null;
  const dims = t.dims ?? [];
  switch (op) {
    case 'Identity':
      return { ...t, name };
    case 'Cast':
      return cast(node, t, name);
    case 'Reshape': {
      const shape = ints(inputs[1]);
      const out = shape && reshapeDims(dims, shape, attrInt(node, 'allowzero', 0) === 1);
      return out ? withData(name, t, out, values(t)) : null;
    }
    case 'Transpose':
      return transpose(t, attrInts(node, 'perm'), name);
    case 'Squeeze':
      return squeeze(node, t, inputs[1], name);
    case 'Unsqueeze':
      return unsqueeze(node, t, inputs[1], name);
    case 'Flatten': {
      const axis = normAxis(attrInt(node, 'axis', 1), dims.length);
      const out = [elementCount(dims.slice(0, axis)), elementCount(dims.slice(axis))];
      return withData(name, t, out, values(t));
    }
    default:
      return inputs[1] ? elementwise(node, t, inputs[1], name) : null;
  }
}
