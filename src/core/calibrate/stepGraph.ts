// The graph of one step of calibration from cached activations (cutCalibration.ts): the step's
// nodes and the constants they read, fed at the cut with cached tensors (a corrected layer's
// output raw, then its correction as a Mul and an Add), with the measured layer reduced to its
// moments and the tensors later steps read as outputs.
import type * as ort from 'onnxruntime-web/wasm';
import { makeNode, makeTensor, makeValueInfo } from '../onnx/builders.ts';
import {
  DataType,
  type NodeProto,
  type OnnxModel,
  type TensorProto,
  type ValueInfoProto,
} from '../onnx/types.ts';
import type { ChannelAffine } from './affine.ts';
import { channelLastWidths } from './channelAxis.ts';
import type { CutPlan, CutStep } from './cutPlan.ts';
import { type MomentOutputs, momentFetches, momentNodes } from './graphMoments.ts';

/** One cached tensor of one batch. */
export interface Cached {
  type: ort.Tensor.Type;
  dims: readonly number[];
  data: ort.Tensor.DataType;
}

/** Cached tensors by name, one entry per batch (undefined once freed). */
export type Cache = Map<string, (Cached | undefined)[]>;

/** The correction of each calibrated layer whose output is cached. */
export type Corrections = Map<string, ChannelAffine>;

export interface StepContext {
  plan: CutPlan;
  step: CutStep;
  cache: Cache;
  corrections: Corrections;
}

/** A corrected layer output is fed raw, under another name, and corrected in the graph. */
export function feedName(name: string, at: StepContext): string {
  return at.corrections.has(name) ? `${name}__qaf_raw` : name;
}

/** The sub-model of one step: its nodes, the constants they read, fed at the cut. */
export function stepModel(
  model: OnnxModel,
  at: StepContext,
  reduce = true,
): { model: OnnxModel; moments: MomentOutputs | null } {
  const { plan, step, cache } = at;
  const all = model.graph.node ?? [];
  const indices = [...step.constants, ...step.nodes].sort((a, b) => a - b);
  const nodes = indices.map((i) => all[i]);
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  const produced = new Set(nodes.flatMap((n) => n.output ?? []));
  const modelInputs = new Map((model.graph.input ?? []).map((v) => [v.name ?? '', v]));
  const input = step.inputs.map((name) =>
    plan.graphInputs.includes(name)
      ? modelInputs.get(name)!
      : cachedInfo(name, feedName(name, at), cache.get(name)!),
  );
  const corrected = correctionNodes(step, at, channelLastWidths(model.graph, step.inputs));
  const reduced = reduce
    ? momentNodes(model, [step.layer])
    : { nodes: [], initializers: [], outputs: new Map<string, MomentOutputs>() };
  const moments = reduced.outputs.get(step.layer) ?? null;
  const output = [
    ...(moments ? momentFetches(moments) : []).map((name) => ({ name })),
    // No declared shape: a value_info written at batch 1 must not contradict the batches run.
    ...step.keep.map((name) => ({ name })),
  ];
  const graph = {
    ...model.graph,
    node: [...corrected.nodes, ...nodes, ...reduced.nodes],
    initializer: [
      ...(model.graph.initializer ?? []).filter((t) => used.has(t.name ?? '')),
      ...corrected.initializers,
      ...reduced.initializers,
    ],
    input,
    output,
    valueInfo: (model.graph.valueInfo ?? []).filter((v) => produced.has(v.name ?? '')),
  };
  return { model: { ...model, graph }, moments };
}

const ELEM_TYPES: Partial<Record<ort.Tensor.Type, number>> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  float64: DataType.DOUBLE,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  int16: DataType.INT16,
  uint16: DataType.UINT16,
  int32: DataType.INT32,
  uint32: DataType.UINT32,
  int64: DataType.INT64,
  uint64: DataType.UINT64,
  bool: DataType.BOOL,
};

/** y = a_c raw + t_c for each corrected layer output the step reads, a_c and t_c shaped to broadcast. */
function correctionNodes(step: CutStep, at: StepContext, channelLast: ReadonlyMap<string, number>) {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  for (const name of step.inputs) {
    const affine = at.corrections.get(name);
    if (!affine) continue;
    const rank = at.cache.get(name)!.find((c) => c)!.dims.length;
    // [C, 1, ...] broadcasts over axis 1 of [N, C, ...]; [C] over the last axis of a MatMul's.
    const dims = channelLast.has(name)
      ? [affine.gain.length]
      : [affine.gain.length, ...new Array(Math.max(0, rank - 2)).fill(1)];
    initializers.push(
      makeTensor(`${name}__qaf_gain`, DataType.FLOAT, dims, affine.gain),
      makeTensor(`${name}__qaf_shift`, DataType.FLOAT, dims, affine.shift),
    );
    nodes.push(
      makeNode('Mul', [feedName(name, at), `${name}__qaf_gain`], [`${name}__qaf_scaled`]),
      makeNode('Add', [`${name}__qaf_scaled`, `${name}__qaf_shift`], [name]),
    );
  }
  return { nodes, initializers };
}

/** A cached tensor as a graph input: its type, and each dim fixed when all batches agree. */
function cachedInfo(name: string, feed: string, list: (Cached | undefined)[]): ValueInfoProto {
  const present = list.filter((c): c is Cached => c !== undefined);
  const first = present[0];
  const elemType = ELEM_TYPES[first.type];
  if (elemType === undefined) {
    throw new Error(`calibration: cannot cache '${name}' of type ${first.type}`);
  }
  const shape = first.dims.map((d, axis) =>
    present.every((c) => c.dims[axis] === d) ? d : `cut_${name}_${axis}`,
  );
  return makeValueInfo(feed, elemType, shape);
}
