// One normalisation pass that every front end applies before discovering layers (inspect, the
// app's model worker, the pipeline), so they all see the same graph: weights given as Constant
// nodes become initializers, constant chains feeding a layer's weight or bias (Cast,
// DequantizeLinear, Reshape, Transpose, ...) are computed ahead, and per-channel affine maps after
// a layer (BatchNormalization, Mul/Add by constants) are folded into it. Every step computes what
// the original graph computes; the model is returned unchanged when there is nothing to do, and
// a second pass over a normalised model changes nothing.

import { makeTensor, makeValueInfo } from './builders.ts';
import { FOLDABLE_OPS, foldNode } from './constFold.ts';
import { toFloat32Compute, widenedFloatType } from './floatCompute.ts';
import { foldAffineIntoLayers } from './foldAffine.ts';
import { dropStaleValueInfo, dropUnreadInitializers, indexGraph } from './graphIndex.ts';
import { dataTypeName } from './tensor.ts';
import {
  DataType,
  type GraphProto,
  type NodeProto,
  type OnnxModel,
  type TensorProto,
} from './types.ts';

export interface NormalizedModel {
  /** The normalised model; the very object given when nothing changed. */
  model: OnnxModel;
  /** What was changed, one line each; empty when nothing was. */
  notes: string[];
}

const LAYER_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

function isDefaultDomain(n: NodeProto): boolean {
  return !n.domain || n.domain === 'ai.onnx';
}

/** The tensor a Constant node holds, or null (sparse or string constants stay nodes). */
export function constantValue(node: NodeProto): TensorProto | null {
  const a = node.attribute?.[0];
  if (!a || (node.attribute?.length ?? 0) !== 1) return null;
  switch (a.name) {
    case 'value':
      return a.t && a.t.dataType !== DataType.STRING ? a.t : null;
    case 'value_float':
      return makeTensor('', DataType.FLOAT, [], [a.f ?? 0]);
    case 'value_floats':
      return makeTensor('', DataType.FLOAT, [a.floats?.length ?? 0], a.floats ?? []);
    case 'value_int':
      return makeTensor('', DataType.INT64, [], [a.i ?? 0]);
    case 'value_ints':
      return makeTensor('', DataType.INT64, [a.ints?.length ?? 0], a.ints ?? []);
    default:
      return null;
  }
}

function addInitializer(model: OnnxModel, t: TensorProto): void {
  const g = model.graph;
  g.initializer = [...(g.initializer ?? []), t];
  // IR < 4 wants every initializer listed among the graph inputs too.
  if ((model.irVersion ?? 0) < 4) {
    g.input = [...(g.input ?? []), makeValueInfo(t.name ?? '', t.dataType ?? 0, t.dims ?? [])];
  }
}

/** Constant nodes of the main graph whose value is `wanted` -> initializers of the same name. */
function constantsToInitializers(model: OnnxModel, wanted: ReadonlySet<string>): number {
  const g = model.graph;
  const outputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  let moved = 0;
  g.node = (g.node ?? []).filter((n) => {
    if (n.opType !== 'Constant' || !isDefaultDomain(n)) return true;
    const name = n.output?.[0] ?? '';
    if (!wanted.has(name)) return true;
    const t = constantValue(n);
    if (!t || !name || outputs.has(name)) return true;
    const { docString: _doc, ...tensor } = t;
    addInitializer(model, { ...tensor, name });
    moved++;
    return false;
  });
  return moved;
}

const AFFINE_OPS = new Set(['BatchNormalization', 'Mul', 'Add', 'Sub']);

/**
 * The values the normalisation may need as constants: every layer's weight and bias slot, the
 * parameters of the affine maps right after a layer (BatchNorm scale/shift/mean/variance, the
 * other operand of Mul/Add/Sub), and, through foldable ops, everything they are computed from.
 * Only these are touched, so a model whose weights are already plain initializers (with folded
 * BatchNorm) comes back byte for byte.
 */
function weightFeeders(g: GraphProto): Set<string> {
  const wanted = new Set<string>();
  const index = indexGraph(g);
  for (const n of g.node ?? []) {
    if (!isDefaultDomain(n) || !LAYER_OPS.has(n.opType ?? '')) continue;
    const slots = n.opType === 'MatMul' ? [0, 1] : [1, 2];
    for (const i of slots) if (n.input?.[i]) wanted.add(n.input[i]);
    let y = n.output?.[0] ?? '';
    for (let step = 0; step < 8; step++) {
      const readers = index.consumers.get(y) ?? [];
      const next = readers[0];
      if (readers.length !== 1 || !isDefaultDomain(next) || !AFFINE_OPS.has(next.opType ?? ''))
        break;
      const params =
        next.opType === 'BatchNormalization'
          ? (next.input ?? []).slice(1)
          : (next.input ?? []).filter((s) => s !== y);
      for (const s of params) if (s) wanted.add(s);
      y = next.output?.[0] ?? '';
    }
  }
  const nodes = g.node ?? [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!FOLDABLE_OPS.has(n.opType ?? '') || !isDefaultDomain(n)) continue;
    if (!(n.output ?? []).some((o) => wanted.has(o))) continue;
    for (const s of n.input ?? []) if (s) wanted.add(s);
  }
  return wanted;
}

/** Computes, ahead of time, the constant chains that end in a layer's weight or bias. */
function foldWeightChains(model: OnnxModel, wanted: ReadonlySet<string>): number {
  const g = model.graph;
  const index = indexGraph(g);
  let folded = 0;
  g.node = (g.node ?? []).filter((n) => {
    const out = n.output?.[0] ?? '';
    if (!wanted.has(out) || (n.output?.length ?? 0) !== 1 || !isDefaultDomain(n)) return true;
    if (index.graphOutputs.has(out) || !FOLDABLE_OPS.has(n.opType ?? '')) return true;
    const inputs = (n.input ?? []).map((s) => (s ? index.initializers.get(s) : undefined));
    if ((n.input ?? []).some((s, i) => s && !inputs[i])) return true;
    let t: TensorProto | null = null;
    try {
      t = foldNode(n, inputs, out);
    } catch {
      t = null; // malformed constants: leave the chain for onnxruntime to judge
    }
    if (!t) return true;
    addInitializer(model, t);
    index.initializers.set(out, t);
    folded++;
    return false;
  });
  return folded;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function normalizeModel(model: OnnxModel): NormalizedModel {
  const out = structuredClone(model);
  // float16 and double models are computed in float32 (floatCompute.ts): first, so the steps
  // below and the layer discovery see float32 weights.
  const widened = widenedFloatType(out);
  if (widened !== null) toFloat32Compute(out);
  const wanted = weightFeeders(out.graph);
  const constants = constantsToInitializers(out, wanted);
  const chains = foldWeightChains(out, wanted);
  const affine = foldAffineIntoLayers(out.graph);
  const changed = widened !== null || constants + chains + affine.batchNorm + affine.mulAdd > 0;
  if (!changed) return { model, notes: [] };
  dropUnreadInitializers(out.graph);
  dropStaleValueInfo(out.graph);
  const notes: string[] = [];
  if (widened !== null) {
    notes.push(
      `${dataTypeName(widened)} model computed in float32 (weights ${widened === DataType.DOUBLE ? 'rounded' : 'converted exactly'}; a written model keeps the original's input and output types)`,
    );
  }
  if (constants) notes.push(`${plural(constants, 'Constant node')} moved to the initializers`);
  if (chains) notes.push(`${plural(chains, 'constant op')} on weights computed ahead`);
  if (affine.batchNorm)
    notes.push(`${plural(affine.batchNorm, 'BatchNormalization')} folded into the layer before`);
  if (affine.mulAdd)
    notes.push(`${plural(affine.mulAdd, 'per-channel Mul/Add')} folded into the layer before`);
  return { model: out, notes };
}
