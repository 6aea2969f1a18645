// Per-op conversions to a later default-domain opset: the ops whose form or meaning changed
// between the model's opset and the target are rewritten into the target's form (an attribute
// that became an input, Upsample -> Resize, Softmax's 2-D coercion, ...); the ones we cannot
// convert are named with the reason (conversionProblem). The drivers are in opsetConvert.ts.
import { attrFloat, attrInt, attrInts, attrString } from './attributes.ts';
import { makeAttribute } from './builders.ts';
import { DataType, type NodeProto } from './types.ts';

/** Where converted nodes get their constants and fresh names. */
export interface ConvertContext {
  unique(base: string): string;
  /** Adds a constant tensor visible to the node; returns its name. */
  constant(base: string, dataType: number, dims: number[], values: ArrayLike<number>): string;
  /** Rank of a value when known (main graph only), for Softmax's axis. */
  rankOf(value: string): number | undefined;
  /** Element type of a value when known. */
  elemTypeOf(value: string): number | undefined;
}

export function isDefaultDomain(n: NodeProto): boolean {
  return !n.domain || n.domain === 'ai.onnx';
}

// An int64 list attribute that became an input of the same meaning, and the opset it moved in.
const ATTR_TO_INPUT: Record<string, { attr: string; slot: number; at: number }> = {
  Reshape: { attr: 'shape', slot: 1, at: 5 },
  Squeeze: { attr: 'axes', slot: 1, at: 13 },
  Unsqueeze: { attr: 'axes', slot: 1, at: 13 },
  ReduceSum: { attr: 'axes', slot: 1, at: 13 },
  Split: { attr: 'split', slot: 1, at: 13 },
  ReduceMean: { attr: 'axes', slot: 1, at: 18 },
  ReduceMax: { attr: 'axes', slot: 1, at: 18 },
  ReduceMin: { attr: 'axes', slot: 1, at: 18 },
  ReduceProd: { attr: 'axes', slot: 1, at: 18 },
  ReduceL1: { attr: 'axes', slot: 1, at: 18 },
  ReduceL2: { attr: 'axes', slot: 1, at: 18 },
  ReduceLogSum: { attr: 'axes', slot: 1, at: 18 },
  ReduceLogSumExp: { attr: 'axes', slot: 1, at: 18 },
  ReduceSumSquare: { attr: 'axes', slot: 1, at: 18 },
};

/** Ops whose change we do not convert: the opset it happened in and what changed. */
const NOT_CONVERTED: Record<string, { at: number; what: string }> = {
  Scan: { at: 9, what: 'Scan lost its batch axis' },
  Tile: { at: 6, what: "Tile's tiles and axis inputs became one repeats input" },
  GroupNormalization: { at: 21, what: 'GroupNormalization scales per channel, not per group' },
  Concat: { at: 4, what: "Concat's axis became required" },
};

// Experimental ops of the first opsets, removed from ONNX in opset 10.
const EXPERIMENTAL = new Set([
  'ATen',
  'Affine',
  'ConstantFill',
  'Crop',
  'DynamicSlice',
  'GRUUnit',
  'GivenTensorFill',
  'ImageScaler',
  'ParametricSoftplus',
  'Scale',
  'ScaledTanh',
]);

const BINARY_BROADCAST = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'And',
  'Or',
  'Xor',
  'Equal',
  'Greater',
  'Less',
  'Gemm',
  'PRelu',
]);

/** Why `node` cannot move from opset `from` to `to`, or null when it can (converted or not). */
export function conversionProblem(node: NodeProto, from: number, to: number): string | null {
  if (!isDefaultDomain(node) || from >= to) return null;
  const op = node.opType ?? '';
  const crosses = (at: number) => from < at && to >= at;
  const stuck = NOT_CONVERTED[op];
  if (stuck && crosses(stuck.at)) return `${stuck.what} in opset ${stuck.at}`;
  if (EXPERIMENTAL.has(op) && to >= 10) return 'it is an experimental op removed in opset 10';
  if (from < 7 && BINARY_BROADCAST.has(op) && node.attribute?.some((a) => a.name === 'axis')) {
    return 'its legacy broadcast along an axis changed to numpy broadcasting in opset 7';
  }
  if (op === 'BatchNormalization' && crosses(9) && attrInt(node, 'spatial', 1) === 0) {
    return 'BatchNormalization with spatial=0 has no form after opset 9';
  }
  if (op === 'Upsample' && from < 7 && to >= 7)
    return 'the experimental Upsample-1 changed in opset 7';
  if (op === 'Dropout' && (crosses(7) || crosses(12)) && node.output?.[1]) {
    return 'Dropout with a mask output changed in opset 12';
  }
  return null;
}

function dropAttrs(n: NodeProto, names: string[]): NodeProto {
  const attribute = (n.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
  return { ...n, attribute };
}

function withInputs(n: NodeProto, inputs: string[]): NodeProto {
  const input = [...inputs];
  while (input.length && input[input.length - 1] === '') input.pop();
  return { ...n, input };
}

function moveAttrToInput(n: NodeProto, attr: string, slot: number, ctx: ConvertContext): NodeProto {
  const values = attrInts(n, attr);
  const out = dropAttrs(n, [attr]);
  if (!values?.length) return out;
  const name = ctx.constant(
    `${n.name || n.opType}_${attr}`,
    DataType.INT64,
    [values.length],
    values,
  );
  const input = [...(n.input ?? [])];
  while (input.length < slot) input.push('');
  input.splice(slot, 0, name);
  return withInputs(out, input);
}

function floatType(n: NodeProto, ctx: ConvertContext): number {
  const t = ctx.elemTypeOf(n.input?.[0] ?? '');
  return t === DataType.FLOAT16 || t === DataType.DOUBLE ? t : DataType.FLOAT;
}

/** Clip-6: min/max attributes -> optional inputs (opset 11). */
function clip(n: NodeProto, ctx: ConvertContext): NodeProto {
  const type = floatType(n, ctx);
  const bound = (attr: string) => {
    const a = n.attribute?.find((x) => x.name === attr);
    return a ? ctx.constant(`${n.name || 'Clip'}_${attr}`, type, [], [a.f ?? 0]) : '';
  };
  const min = bound('min');
  const max = bound('max');
  return withInputs(dropAttrs(n, ['min', 'max']), [n.input?.[0] ?? '', min, max]);
}

/** Pad-2: pads (Pad-1: paddings) and value attributes -> inputs (opset 11). */
function pad(n: NodeProto, ctx: ConvertContext): NodeProto {
  const pads = attrInts(n, 'pads') ?? attrInts(n, 'paddings') ?? [];
  const base = n.name || 'Pad';
  const padsName = ctx.constant(`${base}_pads`, DataType.INT64, [pads.length], pads);
  const value = attrFloat(n, 'value', 0);
  const valueName =
    value === 0 ? '' : ctx.constant(`${base}_value`, floatType(n, ctx), [], [value]);
  const out = dropAttrs(n, ['pads', 'paddings', 'value']);
  return withInputs(out, [n.input?.[0] ?? '', padsName, valueName]);
}

/** Slice-1: starts, ends, axes attributes -> inputs (opset 10). */
function slice(n: NodeProto, ctx: ConvertContext): NodeProto {
  const base = n.name || 'Slice';
  const list = (attr: string) => {
    const v = attrInts(n, attr);
    return v ? ctx.constant(`${base}_${attr}`, DataType.INT64, [v.length], v) : '';
  };
  const inputs = [n.input?.[0] ?? '', list('starts'), list('ends'), list('axes')];
  return withInputs(dropAttrs(n, ['starts', 'ends', 'axes']), inputs);
}

/** TopK-1: k attribute -> a [1] input (opset 10). */
function topK(n: NodeProto, ctx: ConvertContext): NodeProto {
  const k = ctx.constant(`${n.name || 'TopK'}_k`, DataType.INT64, [1], [attrInt(n, 'k', 1)]);
  return withInputs(dropAttrs(n, ['k']), [n.input?.[0] ?? '', k]);
}

/** Resize attributes reproducing Upsample / Resize-10: asymmetric coordinates, floor rounding. */
function resizeAttrs(mode: string) {
  const attrs = [
    makeAttribute('mode', mode === 'nearest' ? 'nearest' : 'linear'),
    makeAttribute('coordinate_transformation_mode', 'asymmetric'),
  ];
  if (mode === 'nearest') attrs.push(makeAttribute('nearest_mode', 'floor'));
  return attrs;
}

function roiInput(n: NodeProto, to: number, ctx: ConvertContext): string {
  // Resize-11 and -12 want the roi input present even when unused.
  return to >= 13 ? '' : ctx.constant(`${n.name || 'Resize'}_roi`, DataType.FLOAT, [0], []);
}

/** Upsample (7: scales attribute; 9, 10: scales input) -> Resize with the same sampling. */
function upsample(n: NodeProto, to: number, ctx: ConvertContext): NodeProto {
  const mode = attrString(n, 'mode', 'nearest');
  // Integral scales written by hand sometimes land in `ints`; their meaning is the same.
  const a = n.attribute?.find((x) => x.name === 'scales');
  const given = a ? (a.floats?.length ? a.floats : (a.ints ?? [])) : undefined;
  const scales = given
    ? ctx.constant(`${n.name || 'Upsample'}_scales`, DataType.FLOAT, [given.length], given)
    : (n.input?.[1] ?? '');
  return {
    ...n,
    opType: 'Resize',
    input: [n.input?.[0] ?? '', roiInput(n, to, ctx), scales],
    attribute: resizeAttrs(mode),
  };
}

/** Resize-10 (X, scales) -> Resize-11+ (X, roi, scales), same sampling. */
function resize10(n: NodeProto, to: number, ctx: ConvertContext): NodeProto {
  const mode = attrString(n, 'mode', 'nearest');
  const input = [n.input?.[0] ?? '', roiInput(n, to, ctx), n.input?.[1] ?? ''];
  return { ...n, input, attribute: resizeAttrs(mode) };
}

/**
 * Softmax, LogSoftmax and Hardmax before opset 13 flatten the input to 2-D at `axis` (default
 * 1); from 13 they act along one axis (default -1). The same when the axis is the last one;
 * otherwise Flatten -> op -> Reshape back reproduces the old meaning exactly.
 */
function softmax(n: NodeProto, ctx: ConvertContext): NodeProto[] {
  const axis = attrInt(n, 'axis', 1);
  const x = n.input?.[0] ?? '';
  const rank = ctx.rankOf(x);
  if (axis === -1 || (rank !== undefined && (axis === rank - 1 || axis === -1))) {
    return [{ ...n, attribute: [makeAttribute('axis', -1)] }];
  }
  const base = n.name || n.opType || 'Softmax';
  const shape = ctx.unique(`${base}_shape`);
  const flat = ctx.unique(`${base}_flat`);
  const soft = ctx.unique(`${base}_2d`);
  const mk = (
    opType: string,
    input: string[],
    output: string[],
    attribute = [] as NodeProto['attribute'],
  ) => ({ name: ctx.unique(`${base}_${opType}`), opType, input, output, attribute }) as NodeProto;
  return [
    mk('Shape', [x], [shape]),
    mk('Flatten', [x], [flat], [makeAttribute('axis', axis)]),
    { ...n, input: [flat], output: [soft], attribute: [makeAttribute('axis', -1)] },
    mk('Reshape', [soft, shape], [n.output?.[0] ?? '']),
  ];
}

/** Opset 18 Split wants `num_outputs` when no `split` input gives the sizes. */
function splitOutputs(n: NodeProto): NodeProto {
  if (n.input?.[1] || attrInt(n, 'num_outputs') !== undefined) return n;
  const count = makeAttribute('num_outputs', n.output?.length ?? 1);
  return { ...n, attribute: [...(n.attribute ?? []), count] };
}

/** At inference Dropout is the identity; its attributes changed twice (7, 12). */
function dropoutToIdentity(n: NodeProto): NodeProto {
  const output = [n.output?.[0] ?? ''];
  return { ...n, opType: 'Identity', attribute: [], input: [n.input?.[0] ?? ''], output };
}

const TYPE_BY_NAME: Record<string, number> = Object.fromEntries(
  Object.entries(DataType).map(([k, v]) => [k, v]),
);

/** The nodes `n` becomes in opset `to` (itself, unchanged, when nothing applies). */
export function convertNode(
  n: NodeProto,
  from: number,
  to: number,
  ctx: ConvertContext,
): NodeProto[] {
  if (!isDefaultDomain(n) || from >= to) return [n];
  const problem = conversionProblem(n, from, to);
  if (problem) throw new Error(problem);
  const op = n.opType ?? '';
  const crosses = (at: number) => from < at && to >= at;
  let node = from < 7 ? legacy(n) : n;
  const move = ATTR_TO_INPUT[op];
  if (move && crosses(move.at)) node = moveAttrToInput(node, move.attr, move.slot, ctx);
  if (op === 'Split' && to >= 18) node = splitOutputs(node);
  switch (op) {
    case 'Clip':
      return [crosses(11) ? clip(node, ctx) : node];
    case 'Pad':
      return [crosses(11) ? pad(node, ctx) : node];
    case 'Slice':
      return [crosses(10) ? slice(node, ctx) : node];
    case 'TopK':
      return [crosses(10) ? topK(node, ctx) : node];
    case 'Upsample':
      return [to >= 10 ? upsample(node, to, ctx) : node];
    case 'Resize':
      return [crosses(11) ? resize10(node, to, ctx) : node];
    case 'Scatter':
      return [to >= 11 ? { ...node, opType: 'ScatterElements' } : node];
    case 'Dropout':
      return [crosses(12) || crosses(7) ? dropoutToIdentity(node) : node];
    case 'BatchNormalization':
      return [crosses(9) ? dropAttrs(node, ['spatial', 'is_test', 'consumed_inputs']) : node];
    case 'Softmax':
    case 'LogSoftmax':
    case 'Hardmax':
      return crosses(13) ? softmax(node, ctx) : [node];
    case 'Cast': {
      const to6 = node.attribute?.find((a) => a.name === 'to');
      if (!crosses(6) || !to6?.s) return [node];
      const type = TYPE_BY_NAME[new TextDecoder().decode(to6.s).toUpperCase()];
      if (type === undefined) throw new Error('Cast names an unknown type');
      return [{ ...dropAttrs(node, ['to']), attribute: [makeAttribute('to', type)] }];
    }
    default:
      return [node];
  }
}

/** Opset < 7: `consumed_inputs` and `is_test` are gone, broadcasting became numpy's. */
function legacy(n: NodeProto): NodeProto {
  return dropAttrs(n, ['consumed_inputs', 'is_test', 'broadcast']);
}
