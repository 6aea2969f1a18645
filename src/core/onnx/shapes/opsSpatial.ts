// Conv, pooling, Pad, Resize: ops whose output spatial size follows a window formula.
import { attrFloats, attrInt, attrInts, attrString } from '../attributes.ts';
import type { NodeProto } from '../types.ts';
import { type Dim, type Shape, UNKNOWN_DIM } from './dims.ts';
import {
  hasInput,
  inputElemType,
  inputNumbers,
  inputShape,
  NeedsInput,
  type OpContext,
  type OpHandler,
} from './opContext.ts';

export interface WindowParams {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [x1_begin, x2_begin, ..., x1_end, x2_end], as in ONNX. */
  pads: number[];
  autoPad: string;
  ceilMode: boolean;
}

export function windowParams(node: NodeProto, kernel: number[]): WindowParams {
  const n = kernel.length;
  return {
    kernel,
    strides: attrInts(node, 'strides') ?? new Array(n).fill(1),
    dilations: attrInts(node, 'dilations') ?? new Array(n).fill(1),
    pads: attrInts(node, 'pads') ?? new Array(2 * n).fill(0),
    autoPad: attrString(node, 'auto_pad', 'NOTSET'),
    ceilMode: attrInt(node, 'ceil_mode', 0) === 1,
  };
}

function windowOut(size: number, i: number, p: WindowParams): number {
  const n = p.kernel.length;
  const s = p.strides[i];
  const span = (p.kernel[i] - 1) * p.dilations[i] + 1;
  if (p.autoPad === 'SAME_UPPER' || p.autoPad === 'SAME_LOWER') return Math.ceil(size / s);
  const [begin, end] = p.autoPad === 'VALID' ? [0, 0] : [p.pads[i], p.pads[i + n]];
  const room = size + begin + end - span;
  if (!p.ceilMode) return Math.floor(room / s) + 1;
  let out = Math.ceil(room / s) + 1;
  // A last window that would start inside the end padding is dropped (PyTorch/ONNX rule).
  if ((out - 1) * s >= size + begin) out--;
  return out;
}

/** Output spatial dims; a symbolic size survives only windows that preserve it. */
export function windowOutDims(spatial: readonly Dim[], p: WindowParams): Dim[] {
  const n = p.kernel.length;
  return spatial.map((d, i) => {
    if (typeof d === 'number') return windowOut(d, i, p);
    const span = (p.kernel[i] - 1) * p.dilations[i];
    const same =
      p.autoPad.startsWith('SAME') ||
      (p.autoPad === 'NOTSET' && p.pads[i] + p.pads[i + n] === span);
    return p.strides[i] === 1 && same ? d : UNKNOWN_DIM;
  });
}

/** Explicit pads, resolving auto_pad SAME_* against a static input (null if it is not). */
export function resolvePads(spatial: readonly Dim[], p: WindowParams): number[] | null {
  const n = p.kernel.length;
  if (p.autoPad === 'VALID') return new Array(2 * n).fill(0);
  if (!p.autoPad.startsWith('SAME')) return p.pads;
  const pads = new Array(2 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const size = spatial[i];
    if (typeof size !== 'number') return null;
    const out = Math.ceil(size / p.strides[i]);
    const total = Math.max(
      0,
      (out - 1) * p.strides[i] + (p.kernel[i] - 1) * p.dilations[i] + 1 - size,
    );
    const small = Math.floor(total / 2);
    pads[i] = p.autoPad === 'SAME_UPPER' ? small : total - small;
    pads[i + n] = total - pads[i];
  }
  return pads;
}

const conv: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const w = inputShape(ctx, 1);
  const kernel = attrInts(ctx.node, 'kernel_shape') ?? w.slice(2);
  if (!kernel.every((k) => typeof k === 'number')) throw new NeedsInput('kernel size is unknown');
  const p = windowParams(ctx.node, kernel as number[]);
  return [
    { shape: [x[0], w[0], ...windowOutDims(x.slice(2), p)], elemType: inputElemType(ctx, 0) },
  ];
};

const convTranspose: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const w = inputShape(ctx, 1);
  const kernel = (attrInts(ctx.node, 'kernel_shape') ?? w.slice(2)) as number[];
  const p = windowParams(ctx.node, kernel);
  const group = attrInt(ctx.node, 'group', 1);
  const outC = typeof w[1] === 'number' ? w[1] * group : UNKNOWN_DIM;
  const explicit = attrInts(ctx.node, 'output_shape');
  const extra = attrInts(ctx.node, 'output_padding') ?? kernel.map(() => 0);
  const n = kernel.length;
  const spatial = x.slice(2).map((d, i): Dim => {
    if (explicit) return explicit[explicit.length - n + i];
    if (typeof d !== 'number') return UNKNOWN_DIM;
    if (p.autoPad.startsWith('SAME')) return d * p.strides[i];
    const span = (kernel[i] - 1) * p.dilations[i] + 1;
    return p.strides[i] * (d - 1) + extra[i] + span - p.pads[i] - p.pads[i + n];
  });
  return [{ shape: [x[0], outC, ...spatial], elemType: inputElemType(ctx, 0) }];
};

const pool: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const kernel = attrInts(ctx.node, 'kernel_shape');
  if (!kernel) throw new Error('pooling without kernel_shape');
  const shape = [x[0], x[1], ...windowOutDims(x.slice(2), windowParams(ctx.node, kernel))];
  // MaxPool's optional second output (indices) has the same shape.
  return (ctx.node.output ?? []).map((_, i) => ({
    shape: [...shape],
    elemType: i ? 7 : inputElemType(ctx, 0),
  }));
};

const globalPool: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  return [{ shape: [x[0], x[1], ...x.slice(2).map(() => 1)], elemType: inputElemType(ctx, 0) }];
};

function padAmounts(ctx: OpContext): number[] {
  if (ctx.opset < 11) {
    const pads = attrInts(ctx.node, 'pads') ?? attrInts(ctx.node, 'paddings');
    if (!pads) throw new Error('Pad without pads');
    return pads;
  }
  const pads = inputNumbers(ctx, 1);
  if (!hasInput(ctx, 3)) return pads;
  // Opset 18 `axes`: pads cover only the listed axes; spread them over the full rank.
  const rank = inputShape(ctx, 0).length;
  const axes = inputNumbers(ctx, 3).map((a) => (a < 0 ? a + rank : a));
  const full = new Array(2 * rank).fill(0);
  axes.forEach((a, i) => {
    full[a] = pads[i];
    full[a + rank] = pads[i + axes.length];
  });
  return full;
}

const pad: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const pads = padAmounts(ctx);
  const shape = x.map((d, i) => {
    const add = pads[i] + pads[i + x.length];
    if (typeof d === 'number') return d + add;
    return add === 0 ? d : UNKNOWN_DIM;
  });
  return [{ shape, elemType: inputElemType(ctx, 0) }];
};

function scaled(x: Shape, scales: number[]): Shape {
  return x.map((d, i) => {
    if (typeof d === 'number') return Math.floor(d * scales[i]);
    return scales[i] === 1 ? d : UNKNOWN_DIM;
  });
}

const resize: OpHandler = (ctx) => {
  const x = inputShape(ctx, 0);
  const elemType = inputElemType(ctx, 0);
  if (ctx.node.opType === 'Upsample' || ctx.opset < 11) {
    const scales = attrFloats(ctx.node, 'scales') ?? inputNumbers(ctx, 1);
    return [{ shape: scaled(x, scales), elemType }];
  }
  const axes = attrInts(ctx.node, 'axes') ?? x.map((_, i) => i);
  if (hasInput(ctx, 3)) {
    if (attrString(ctx.node, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') {
      throw new NeedsInput('keep_aspect_ratio_policy needs runtime shapes');
    }
    const sizes = inputNumbers(ctx, 3);
    const shape: Shape = [...x];
    axes.forEach((a, i) => {
      shape[a < 0 ? a + x.length : a] = sizes[i];
    });
    return [{ shape, elemType }];
  }
  const given = inputNumbers(ctx, 2);
  const scales = x.map(() => 1);
  axes.forEach((a, i) => {
    scales[a < 0 ? a + x.length : a] = given[i];
  });
  return [{ shape: scaled(x, scales), elemType }];
};

export const spatialHandlers: Record<string, OpHandler> = {
  Conv: conv,
  ConvInteger: conv,
  // Inputs: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp; the output takes y_zp's type.
  QLinearConv: (ctx) =>
    conv({ ...ctx, inputs: [ctx.inputs[0], ctx.inputs[3]] }).map((s) => ({
      ...s,
      elemType: ctx.inputs[7]?.elemType,
    })),
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  Pad: pad,
  Resize: resize,
  Upsample: resize,
};
