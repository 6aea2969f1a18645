// Elementwise, normalization, reduction and matrix-product ops.
import { attrInt, attrInts } from '../attributes.ts';
import { DataType } from '../types.ts';
import {
  broadcastShapes,
  type Dim,
  isIntegerType,
  normalizeAxis,
  type Shape,
  UNKNOWN_DIM,
  type ValueState,
} from './dims.ts';
import {
  hasInput,
  inputElemType,
  inputNumbers,
  inputShape,
  MAX_FOLD_ELEMENTS,
  type OpContext,
  type OpHandler,
  sameAsInput,
} from './opContext.ts';

const UNARY = [
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Elu',
  'Selu',
  'Celu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Softplus',
  'Softsign',
  'Gelu',
  'Mish',
  'Erf',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Sqrt',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Sin',
  'Cos',
  'Tan',
  'Clip',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
  'Dropout',
  'BatchNormalization',
  'InstanceNormalization',
  'LayerNormalization',
  'LRN',
  'Not',
  'ThresholdedRelu',
  'Shrink',
  'CumSum',
];
const COMPARISONS = [
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
];
const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Max: Math.max,
  Min: Math.min,
  Sum: (a, b) => a + b,
  Mean: (a, b) => a + b,
  Mod: (a, b) => a % b,
};

/** The right operand that leaves a symbolic left operand unchanged. */
const IDENTITY_OPERAND: Record<string, number> = { Add: 0, Sub: 0, Mul: 1, Div: 1 };

function allShapes(ctx: OpContext): Shape[] {
  return (ctx.node.input ?? []).flatMap((name, i) => (name ? [inputShape(ctx, i)] : []));
}

/** Folds small numeric constants (shape arithmetic such as `dim // 2`). */
function foldBinary(
  ctx: OpContext,
  shape: Shape,
  f: (a: number, b: number) => number,
): Dim[] | undefined {
  const a = ctx.inputs[0]?.value;
  const b = ctx.inputs[1]?.value;
  if (!a || !b || ctx.node.opType === 'Mean' || (ctx.node.input?.length ?? 0) !== 2)
    return undefined;
  const count = shape.reduce<number>((n, d) => n * (typeof d === 'number' ? d : Number.NaN), 1);
  if (!(count <= MAX_FOLD_ELEMENTS) || shape.length > 1) return undefined;
  const integer = isIntegerType(inputElemType(ctx, 0));
  const pick = (v: Dim[], i: number) => v[v.length === 1 ? 0 : i];
  return Array.from({ length: count }, (_, i) => {
    const x = pick(a.values, i);
    const y = pick(b.values, i);
    if (typeof x !== 'number' || typeof y !== 'number') {
      // dim * 1, dim + 0 keep the symbol; anything else is unknown.
      if (typeof y === 'number' && y === IDENTITY_OPERAND[ctx.node.opType ?? '']) return x;
      return UNKNOWN_DIM;
    }
    const r = f(x, y);
    return integer ? Math.trunc(r) : r; // integer Div truncates toward zero, as in C
  });
}

const broadcastOp =
  (elemType?: number): OpHandler =>
  (ctx) => {
    const shape = broadcastShapes(allShapes(ctx));
    const state: ValueState = { shape, elemType: elemType ?? inputElemType(ctx, 0) };
    const f = ARITHMETIC[ctx.node.opType ?? ''];
    const values = f ? foldBinary(ctx, shape, f) : undefined;
    return [values ? { ...state, value: { dims: shape as number[], values } } : state];
  };

const where: OpHandler = (ctx) => [
  { shape: broadcastShapes(allShapes(ctx)), elemType: inputElemType(ctx, 1) },
];

const gemm: OpHandler = (ctx) => {
  const a = inputShape(ctx, 0);
  const b = inputShape(ctx, 1);
  const m = attrInt(ctx.node, 'transA', 0) ? a[1] : a[0];
  const n = attrInt(ctx.node, 'transB', 0) ? b[0] : b[1];
  return [{ shape: [m, n], elemType: inputElemType(ctx, 0) }];
};

/** numpy.matmul: 1-D operands are promoted then the added axis dropped; batch dims broadcast. */
export function matmulShape(a: Shape, b: Shape): Shape {
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  const out: Shape = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

const matmul: OpHandler = (ctx) => [
  { shape: matmulShape(inputShape(ctx, 0), inputShape(ctx, 1)), elemType: inputElemType(ctx, 0) },
];

function reduceAxes(ctx: OpContext): number[] | undefined {
  const op = ctx.node.opType ?? '';
  const axesAsInput = ctx.opset >= 18 || (op === 'ReduceSum' && ctx.opset >= 13);
  if (!axesAsInput) return attrInts(ctx.node, 'axes');
  return hasInput(ctx, 1) ? inputNumbers(ctx, 1) : undefined;
}

const reduce: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  const given = reduceAxes(ctx);
  if (!given?.length && attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1) return sameAsInput(ctx);
  const axes = new Set(
    (given?.length ? given : x.map((_, i) => i)).map((a) => normalizeAxis(a, x.length)),
  );
  const shape = x.flatMap((d, i) => (axes.has(i) ? (keep ? [1] : []) : [d]));
  return [{ shape, elemType: inputElemType(ctx, 0) }];
};

const argReduce: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), x.length);
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  const shape = x.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d]));
  return [{ shape, elemType: DataType.INT64 }];
};

/** Normalization ops: extra outputs (running stats, mean, inv std) are left unknown. */
const firstSameAsInput: OpHandler = (ctx) => {
  const [first] = sameAsInput(ctx);
  return [first];
};

const quantizeLinear: OpHandler = (ctx) => [
  { shape: [...inputShape(ctx, 0)], elemType: ctx.inputs[2]?.elemType ?? DataType.UINT8 },
];

const dequantizeLinear: OpHandler = (ctx) => [
  { shape: [...inputShape(ctx, 0)], elemType: ctx.inputs[1]?.elemType ?? DataType.FLOAT },
];

export const elementwiseHandlers: Record<string, OpHandler> = {
  ...Object.fromEntries(UNARY.map((op) => [op, sameAsInput])),
  ...Object.fromEntries(Object.keys(ARITHMETIC).map((op) => [op, broadcastOp()])),
  ...Object.fromEntries(COMPARISONS.map((op) => [op, broadcastOp(DataType.BOOL)])),
  BatchNormalization: firstSameAsInput,
  LayerNormalization: firstSameAsInput,
  IsNaN: (ctx) => [{ shape: [...inputShape(ctx, 0)], elemType: DataType.BOOL }],
  IsInf: (ctx) => [{ shape: [...inputShape(ctx, 0)], elemType: DataType.BOOL }],
  Where: where,
  Gemm: gemm,
  MatMul: matmul,
  MatMulInteger: matmul,
  ...Object.fromEntries(
    [
      'ReduceMean',
      'ReduceSum',
      'ReduceMax',
      'ReduceMin',
      'ReduceProd',
      'ReduceL2',
      'ReduceL1',
      'ReduceLogSumExp',
      'ReduceSumSquare',
    ].map((op) => [op, reduce]),
  ),
  ArgMax: argReduce,
  ArgMin: argReduce,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
};
