// Static shape inference: one pass over the (topologically ordered) nodes with per-op handlers.
// Pure and synchronous; where it cannot decide, outputs stay unknown and the node is listed in
// `unresolved` (see runtimeShapes.ts for the onnxruntime fallback).
import { tensorToNumbers } from '../tensor.ts';
import type { GraphProto, OnnxModel, TensorProto, ValueInfoProto } from '../types.ts';
import { type ConstValue, type Dim, type Shape, UNKNOWN_DIM, type ValueState } from './dims.ts';
import { NeedsInput, type OpContext, type OpHandler } from './opContext.ts';
import { elementwiseHandlers } from './opsElementwise.ts';
import { spatialHandlers } from './opsSpatial.ts';
import { tensorHandlers } from './opsTensor.ts';

export const shapeHandlers: Record<string, OpHandler> = {
  ...elementwiseHandlers,
  ...spatialHandlers,
  ...tensorHandlers,
};

export interface InferredShapes {
  /** Shape of every value inference could decide, by value name. */
  shapes: Map<string, Shape>;
  elemTypes: Map<string, number>;
  /** Small tensors folded to constants (Shape/Gather/Concat chains, Constant nodes). */
  constants: Map<string, ConstValue>;
  /** Nodes whose outputs stayed unknown, with the reason. */
  unresolved: { nodeIndex: number; opType: string; reason: string }[];
}

export interface InferOptions {
  /** Concrete shapes for graph inputs, replacing the declared (possibly symbolic) ones. */
  inputShapes?: Record<string, readonly Dim[]>;
}

export function defaultOpset(model: OnnxModel): number {
  const entry = model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry?.version ?? 1;
}

/** The declared shape of a value info; unnamed dims become UNKNOWN_DIM. */
export function valueInfoShape(info: ValueInfoProto): Shape | undefined {
  const shape = info.type?.tensorType?.shape;
  if (!shape) return undefined;
  return (shape.dim ?? []).map((d): Dim => d.dimValue ?? d.dimParam ?? UNKNOWN_DIM);
}

const FOLD_LIMIT = 4096;

function initializerState(t: TensorProto): ValueState {
  const dims = t.dims ?? [];
  const count = dims.reduce((a, b) => a * b, 1);
  const state: ValueState = { shape: [...dims], elemType: t.dataType };
  if (count > FOLD_LIMIT || t.dataType === 8) return state;
  try {
    return { ...state, value: { dims: [...dims], values: tensorToNumbers(t) } };
  } catch {
    return state;
  }
}

function seedStates(graph: GraphProto, options: InferOptions): Map<string, ValueState> {
  const states = new Map<string, ValueState>();
  const given = options.inputShapes ?? {};
  const declared = new Set((graph.input ?? []).map((v) => v.name ?? ''));
  for (const name of Object.keys(given)) {
    if (!declared.has(name))
      throw new Error(`--input-shape: the model has no input named "${name}"`);
  }
  for (const v of graph.input ?? []) {
    const name = v.name ?? '';
    const shape = given[name] ? [...given[name]] : valueInfoShape(v);
    states.set(name, { shape, elemType: v.type?.tensorType?.elemType });
  }
  // Initializers override same-named inputs (IR < 4 lists weights as inputs too).
  for (const t of graph.initializer ?? []) states.set(t.name ?? '', initializerState(t));
  return states;
}

function runHandler(handler: OpHandler, ctx: OpContext): ValueState[] | string {
  try {
    return handler(ctx);
  } catch (err) {
    if (err instanceof NeedsInput) return err.message;
    return `inconsistent model: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Infers shapes for every value of the main graph. Never throws on an unknown op. */
export function inferShapes(model: OnnxModel, options: InferOptions = {}): InferredShapes {
  const graph = model.graph;
  const opset = defaultOpset(model);
  const states = seedStates(graph, options);
  const hints = new Map((graph.valueInfo ?? []).map((v) => [v.name ?? '', v]));
  const unresolved: InferredShapes['unresolved'] = [];
  (graph.node ?? []).forEach((node, nodeIndex) => {
    const opType = node.opType ?? '';
    const handler = node.domain && node.domain !== 'ai.onnx' ? undefined : shapeHandlers[opType];
    const inputs = (node.input ?? []).map((name) => (name ? states.get(name) : undefined));
    const result = handler
      ? runHandler(handler, { node, opset, inputs })
      : `no shape rule for ${opType}`;
    const outputs = node.output ?? [];
    outputs.forEach((name, i) => {
      if (!name) return;
      const state = typeof result === 'string' ? undefined : result[i];
      const hint = hints.get(name);
      // A declared value_info fills gaps (an op without a rule) but never overrides inference.
      const shape = state?.shape ?? (hint ? valueInfoShape(hint) : undefined);
      states.set(name, {
        ...state,
        shape,
        elemType: state?.elemType ?? hint?.type?.tensorType?.elemType,
      });
    });
    // Only root causes are listed: a node is not unresolved merely because its input is.
    const upstreamUnknown = inputs.some((s, i) => node.input?.[i] && !s?.shape);
    if (typeof result === 'string' && !upstreamUnknown)
      unresolved.push({ nodeIndex, opType, reason: result });
  });
  return collect(states, unresolved);
}

function collect(
  states: Map<string, ValueState>,
  unresolved: InferredShapes['unresolved'],
): InferredShapes {
  const out: InferredShapes = {
    shapes: new Map(),
    elemTypes: new Map(),
    constants: new Map(),
    unresolved,
  };
  for (const [name, s] of states) {
    if (s.shape) out.shapes.set(name, s.shape);
    if (s.elemType !== undefined) out.elemTypes.set(name, s.elemType);
    if (s.value) out.constants.set(name, s.value);
  }
  return out;
}
