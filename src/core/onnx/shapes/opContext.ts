// What a per-op shape handler sees, and the helpers handlers share.
import type { NodeProto } from '../types.ts';
import type { ConstValue, Shape, ValueState } from './dims.ts';

export interface OpContext {
  node: NodeProto;
  /** Version of the default ONNX domain in the model: selects attribute vs input forms. */
  opset: number;
  /** One entry per node input, aligned with node.input; undefined for '' or unknown values. */
  inputs: (ValueState | undefined)[];
}

/** Returns one state per node output; throws NeedsInput when an input is not known well enough. */
export type OpHandler = (ctx: OpContext) => ValueState[];

/** Not an error in the model: inference lacks a shape or constant it needs. */
export class NeedsInput extends Error {}

export function inputShape(ctx: OpContext, i: number): Shape {
  const shape = ctx.inputs[i]?.shape;
  if (!shape) throw new NeedsInput(`shape of input ${i} is unknown`);
  return shape;
}

export function inputElemType(ctx: OpContext, i: number): number | undefined {
  return ctx.inputs[i]?.elemType;
}

export function hasInput(ctx: OpContext, i: number): boolean {
  return (ctx.node.input?.[i] ?? '') !== '';
}

export function inputValue(ctx: OpContext, i: number): ConstValue {
  const value = ctx.inputs[i]?.value;
  if (!value) throw new NeedsInput(`input ${i} is not a known constant`);
  return value;
}

/** A constant input whose entries are all plain numbers (no symbolic dims). */
export function inputNumbers(ctx: OpContext, i: number): number[] {
  const values = inputValue(ctx, i).values;
  if (!values.every((v) => typeof v === 'number')) {
    throw new NeedsInput(`input ${i} holds symbolic values`);
  }
  return values as number[];
}

/** Same shape and type as input 0 for every output: the elementwise default. */
export function sameAsInput(ctx: OpContext): ValueState[] {
  const shape = inputShape(ctx, 0);
  return (ctx.node.output ?? []).map(() => ({
    shape: [...shape],
    elemType: inputElemType(ctx, 0),
  }));
}

export const MAX_FOLD_ELEMENTS = 4096;

export function constState(value: ConstValue, elemType: number | undefined): ValueState {
  return { shape: [...value.dims], elemType, value };
}
