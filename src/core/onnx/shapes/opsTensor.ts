// Layout ops (Reshape, Slice, Gather, Concat, ...) and the constant folding of the small int64
// tensors that feed them, so Shape -> Gather -> Concat -> Reshape chains resolve statically.
import { attrInt, attrInts, attrTensor } from '../attributes.ts';
import { tensorToNumbers } from '../tensor.ts';
import { DataType } from '../types.ts';
import {
  type ConstValue,
  type Dim,
  isIntegerType,
  normalizeAxis,
  prodDims,
  type Shape,
  UNKNOWN_DIM,
  type ValueState,
} from './dims.ts';
import { pickValues, transposeValues } from './foldValues.ts';
import {
  constState,
  hasInput,
  inputElemType,
  inputNumbers,
  inputShape,
  MAX_FOLD_ELEMENTS,
  NeedsInput,
  type OpContext,
  type OpHandler,
} from './opContext.ts';
import { reshapeDims, sliceDim, sliceRange } from './reshape.ts';

function withValue(state: ValueState, values: Dim[] | undefined): ValueState {
  if (!values || !state.shape?.every((d) => typeof d === 'number')) return state;
  return { ...state, value: { dims: state.shape as number[], values } };
}

const constant: OpHandler = (ctx) => {
  const node = ctx.node;
  const t = attrTensor(node, 'value');
  if (t) {
    const dims = t.dims ?? [];
    const count = dims.reduce((a, b) => a * b, 1);
    const numeric = t.dataType !== DataType.STRING && count <= MAX_FOLD_ELEMENTS;
    if (!numeric) return [{ shape: dims, elemType: t.dataType }];
    return [constState({ dims, values: tensorToNumbers(t) }, t.dataType)];
  }
  const f = node.attribute?.find((a) => a.name === 'value_float');
  if (f) return [constState({ dims: [], values: [f.f ?? 0] }, DataType.FLOAT)];
  const fs = node.attribute?.find((a) => a.name === 'value_floats');
  if (fs)
    return [
      constState({ dims: [fs.floats?.length ?? 0], values: fs.floats ?? [] }, DataType.FLOAT),
    ];
  const i = attrInt(node, 'value_int');
  if (i !== undefined) return [constState({ dims: [], values: [i] }, DataType.INT64)];
  const is = attrInts(node, 'value_ints');
  if (is) return [constState({ dims: [is.length], values: is }, DataType.INT64)];
  throw new NeedsInput('Constant form not supported');
};

const shapeOp: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const start = attrInt(ctx.node, 'start', 0);
  const end = attrInt(ctx.node, 'end', x.length);
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + x.length : v, 0), x.length);
  const dims = x.slice(clamp(start), clamp(end));
  return [constState({ dims: [dims.length], values: dims }, DataType.INT64)];
};

const size: OpHandler = (ctx) => {
  const total = prodDims(inputShape(ctx, 0));
  return [constState({ dims: [], values: [total] }, DataType.INT64)];
};

const gather: OpHandler = (ctx) => {
  const data = inputShape(ctx, 0);
  const indices = inputShape(ctx, 1);
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), data.length);
  const shape = [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
  const state: ValueState = { shape, elemType: inputElemType(ctx, 0) };
  const dv = ctx.inputs[0]?.value;
  const iv = ctx.inputs[1]?.value;
  if (!dv || !iv || dv.dims.length !== 1 || typeof data[0] !== 'number') return [state];
  const n = data[0];
  const picked = iv.values.map((i) =>
    typeof i === 'number' ? dv.values[i < 0 ? i + n : i] : UNKNOWN_DIM,
  );
  return [withValue(state, picked)];
};

const concat: OpHandler = (ctx) => {
  const shapes = (ctx.node.input ?? []).map((_, i) => inputShape(ctx, i));
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), shapes[0].length);
  const shape: Shape = [...shapes[0]];
  const along = shapes.map((s) => s[axis]);
  shape[axis] = along.every((d) => typeof d === 'number')
    ? (along as number[]).reduce((a, b) => a + b, 0)
    : UNKNOWN_DIM;
  const values = ctx.inputs.map((s) => s?.value);
  const foldable = shapes[0].length === 1 && values.every((v) => v);
  const state = { shape, elemType: inputElemType(ctx, 0) };
  return [withValue(state, foldable ? values.flatMap((v) => v!.values) : undefined)];
};

function axesOf(ctx: OpContext): number[] | undefined {
  if (ctx.opset < 13) return attrInts(ctx.node, 'axes');
  return hasInput(ctx, 1) ? inputNumbers(ctx, 1) : undefined;
}

const unsqueeze: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const axes = axesOf(ctx);
  if (!axes) throw new Error('Unsqueeze without axes');
  const rank = x.length + axes.length;
  const at = new Set(axes.map((a) => normalizeAxis(a, rank)));
  const rest = [...x];
  const shape = Array.from({ length: rank }, (_, i) => (at.has(i) ? 1 : rest.shift()!));
  return [withValue({ shape, elemType: inputElemType(ctx, 0) }, ctx.inputs[0]?.value?.values)];
};

const squeeze: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const axes = axesOf(ctx);
  if (!axes && x.some((d) => typeof d !== 'number'))
    throw new NeedsInput('squeeze of symbolic dims');
  const drop = new Set(
    axes ? axes.map((a) => normalizeAxis(a, x.length)) : x.flatMap((d, i) => (d === 1 ? [i] : [])),
  );
  for (const i of drop) {
    if (typeof x[i] === 'number' && x[i] !== 1)
      throw new Error(`cannot squeeze axis ${i} of size ${x[i]}`);
  }
  const shape = x.filter((_, i) => !drop.has(i));
  return [withValue({ shape, elemType: inputElemType(ctx, 0) }, ctx.inputs[0]?.value?.values)];
};

const reshape: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const target = ctx.opset < 5 ? attrInts(ctx.node, 'shape') : ctx.inputs[1]?.value?.values;
  if (!target) throw new NeedsInput('Reshape target shape is not constant');
  const shape = reshapeDims(x, target, attrInt(ctx.node, 'allowzero', 0) === 1);
  return [withValue({ shape, elemType: inputElemType(ctx, 0) }, ctx.inputs[0]?.value?.values)];
};

const flatten: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  let axis = attrInt(ctx.node, 'axis', 1);
  if (axis < 0) axis += x.length;
  return [
    {
      shape: [prodDims(x.slice(0, axis)), prodDims(x.slice(axis))],
      elemType: inputElemType(ctx, 0),
    },
  ];
};

const transpose: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const perm = attrInts(ctx.node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
  const state = { shape: perm.map((p) => x[p]), elemType: inputElemType(ctx, 0) };
  const v = ctx.inputs[0]?.value;
  return [v ? { ...state, value: transposeValues(v, perm) } : state];
};

function sliceArgs(ctx: OpContext, rank: number) {
  const legacy = ctx.opset < 10;
  const starts = legacy ? attrInts(ctx.node, 'starts') : inputNumbers(ctx, 1);
  const ends = legacy ? attrInts(ctx.node, 'ends') : inputNumbers(ctx, 2);
  if (!starts || !ends) throw new Error('Slice without starts/ends');
  const axesGiven = legacy
    ? attrInts(ctx.node, 'axes')
    : hasInput(ctx, 3)
      ? inputNumbers(ctx, 3)
      : undefined;
  const axes = (axesGiven ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, rank));
  const steps = !legacy && hasInput(ctx, 4) ? inputNumbers(ctx, 4) : starts.map(() => 1);
  return { starts, ends, axes, steps };
}

const slice: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const { starts, ends, axes, steps } = sliceArgs(ctx, x.length);
  const shape: Shape = [...x];
  axes.forEach((a, i) => {
    shape[a] = sliceDim(x[a], starts[i], ends[i], steps[i]);
  });
  const state = { shape, elemType: inputElemType(ctx, 0) };
  const v = ctx.inputs[0]?.value;
  if (!v) return [state];
  const perAxis = v.dims.map((d, a) => {
    const i = axes.indexOf(a);
    return i < 0 ? sliceRange(d, 0, d, 1) : sliceRange(d, starts[i], ends[i], steps[i]);
  });
  return [withValue(state, pickValues(v, perAxis))];
};

const expand: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const target = ctx.inputs[1]?.value?.values;
  if (!target) throw new NeedsInput('Expand shape is not constant');
  const rank = Math.max(x.length, target.length);
  const pad = (s: readonly Dim[]) => [...new Array(rank - s.length).fill(1), ...s];
  const [a, b] = [pad(x), pad(target)];
  const shape = a.map((d, i) =>
    d === 1 ? b[i] : b[i] === 1 ? d : typeof d === 'number' ? d : b[i],
  );
  return [{ shape, elemType: inputElemType(ctx, 0) }];
};

const tile: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const repeats = inputNumbers(ctx, 1);
  const shape = x.map((d, i) =>
    typeof d === 'number' ? d * repeats[i] : repeats[i] === 1 ? d : UNKNOWN_DIM,
  );
  return [{ shape, elemType: inputElemType(ctx, 0) }];
};

const split: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), x.length);
  const outputs = ctx.node.output ?? [];
  const given =
    ctx.opset < 13
      ? attrInts(ctx.node, 'split')
      : hasInput(ctx, 1)
        ? inputNumbers(ctx, 1)
        : undefined;
  const d = x[axis];
  const parts: Dim[] =
    given ??
    outputs.map((_, i) => {
      if (typeof d !== 'number') return UNKNOWN_DIM;
      const chunk = Math.ceil(d / outputs.length);
      return Math.max(0, Math.min(chunk, d - i * chunk));
    });
  return outputs.map((_, i) => {
    const shape = [...x];
    shape[axis] = parts[i];
    return { shape, elemType: inputElemType(ctx, 0) };
  });
};

const constantOfShape: OpHandler = (ctx) => {
  const dims = ctx.inputs[0]?.value?.values;
  if (!dims) throw new NeedsInput('ConstantOfShape shape is not constant');
  const t = attrTensor(ctx.node, 'value');
  const elemType = t?.dataType ?? DataType.FLOAT;
  const state: ValueState = { shape: [...dims], elemType };
  const count = prodDims(dims);
  if (typeof count !== 'number' || count > MAX_FOLD_ELEMENTS) return [state];
  const fill = t ? (tensorToNumbers(t)[0] ?? 0) : 0;
  return [withValue(state, new Array(count).fill(fill))];
};

const cast: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const to = attrInt(ctx.node, 'to', DataType.FLOAT);
  const v = ctx.inputs[0]?.value;
  const values =
    v && isIntegerType(to)
      ? v.values.map((d) => (typeof d === 'number' ? Math.trunc(d) : d))
      : v?.values;
  return [withValue({ shape: [...x], elemType: to }, values)];
};

const identity: OpHandler = (ctx) => [{ ...ctx.inputs[0], shape: [...inputShape(ctx, 0)] }];

const range: OpHandler = (ctx) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => inputNumbers(ctx, i)[0]);
  const count = Math.max(Math.ceil((limit - start) / delta), 0);
  const values =
    count <= MAX_FOLD_ELEMENTS
      ? Array.from({ length: count }, (_, i) => start + i * delta)
      : undefined;
  const state = { shape: [count], elemType: inputElemType(ctx, 0) };
  return [values ? { ...state, value: { dims: [count], values } as ConstValue } : state];
};

export const tensorHandlers: Record<string, OpHandler> = {
  Constant: constant,
  Shape: shapeOp,
  Size: size,
  Gather: gather,
  Concat: concat,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Slice: slice,
  Expand: expand,
  Tile: tile,
  Split: split,
  ConstantOfShape: constantOfShape,
  Cast: cast,
  Identity: identity,
  Range: range,
};
