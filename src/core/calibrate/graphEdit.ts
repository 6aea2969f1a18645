// The graph surgery calibration needs: expose layer outputs as graph outputs, and fold a
// per-channel affine into the layer's last weight scale and bias. Everything is found from the
// layer's output tensor name, so it works for factorized (1x1 -> depthwise -> 1x1), PTQ and
// float layers alike, whatever the rewrite named its initializers.
import type { GraphProto, NodeProto, OnnxModel, TensorProto } from '../onnx/types.ts';
import { DataType } from '../onnx/types.ts';
import type { ChannelAffine } from './affine.ts';
import { broadcastScale, foldAffine } from './affine.ts';
import { floatValues, replicateScalar, setFloatValues } from './tensorData.ts';

/** A copy of the model whose graph also outputs `names` (float tensors of any shape). */
export function withGraphOutputs(model: OnnxModel, names: readonly string[]): OnnxModel {
  const existing = new Set((model.graph.output ?? []).map((o) => o.name));
  const extra = names
    .filter((n) => !existing.has(n))
    .map((name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } }));
  return { ...model, graph: { ...model.graph, output: [...(model.graph.output ?? []), ...extra] } };
}

/**
 * A copy of the model that computes only `names` (made graph outputs): nodes they do not depend
 * on are dropped, so measuring an early layer does not pay for the rest of the network.
 */
export function prunedToOutputs(model: OnnxModel, names: readonly string[]): OnnxModel {
  const nodes = model.graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) producer.set(o, i);
  });
  const keep = new Set<number>();
  const stack = [...names];
  while (stack.length) {
    const i = producer.get(stack.pop()!);
    if (i === undefined || keep.has(i)) continue;
    keep.add(i);
    stack.push(...(nodes[i].input ?? []));
  }
  const used = new Set(nodes.filter((_, i) => keep.has(i)).flatMap((n) => n.input ?? []));
  const initializerNames = new Set((model.graph.initializer ?? []).map((t) => t.name));
  const graph = {
    ...model.graph,
    // Old IRs list initializers among the inputs too: a dropped one must not stay a required feed.
    input: (model.graph.input ?? []).filter(
      (v) => !initializerNames.has(v.name) || used.has(v.name ?? ''),
    ),
    node: nodes.filter((_, i) => keep.has(i)),
    initializer: (model.graph.initializer ?? []).filter((t) => used.has(t.name ?? '')),
    output: [],
  };
  return withGraphOutputs({ ...model, graph }, names);
}

/** Where a layer's calibration lands in the graph. */
export interface FoldSite {
  /** The node producing the layer output (Conv or Gemm). */
  node: NodeProto;
  /** DequantizeLinear feeding the node's weight; null when the weight is a float initializer. */
  dequantize: NodeProto | null;
  weight: TensorProto | null;
  scale: TensorProto | null;
  bias: TensorProto | null;
  /** Axis of the weight that indexes output channels. */
  channelAxis: number;
}

export class CalibrationGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalibrationGraphError';
  }
}

export function findFoldSite(graph: GraphProto, outputName: string): FoldSite {
  const nodes = graph.node ?? [];
  const node = nodes.find((n) => n.output?.[0] === outputName);
  if (!node || (node.opType !== 'Conv' && node.opType !== 'Gemm')) {
    throw new CalibrationGraphError(
      `calibration: '${outputName}' is not the output of a Conv or Gemm (${node?.opType ?? 'no node'})`,
    );
  }
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name, t]));
  const weightInput = node.input?.[1] ?? '';
  const dequantize =
    nodes.find((n) => n.opType === 'DequantizeLinear' && n.output?.[0] === weightInput) ?? null;
  const biasName = node.input?.[2];
  const site: FoldSite = {
    node,
    dequantize,
    weight: dequantize ? null : (inits.get(weightInput) ?? null),
    scale: dequantize ? (inits.get(dequantize.input?.[1] ?? '') ?? null) : null,
    bias: biasName ? (inits.get(biasName) ?? null) : null,
    channelAxis: outputChannelAxis(node),
  };
  if (!site.scale && !site.weight) {
    throw new CalibrationGraphError(
      `calibration: the weight of '${node.name}' is neither an initializer nor dequantized from one`,
    );
  }
  return site;
}

function outputChannelAxis(node: NodeProto): number {
  if (node.opType === 'Conv') return 0;
  const transB = node.attribute?.find((a) => a.name === 'transB')?.i ?? 0;
  return transB ? 0 : 1;
}

/**
 * Folds `affine` into the layer ending in `outputName`, in place (callers work on a copy). A
 * per-tensor DequantizeLinear scale becomes per-axis; the integer codes are never touched.
 */
export function foldIntoGraph(graph: GraphProto, outputName: string, affine: ChannelAffine): void {
  const site = findFoldSite(graph, outputName);
  const channels = affine.gain.length;
  const bias = site.bias ? floatValues(site.bias) : null;
  if (site.scale && site.dequantize) {
    const folded = foldAffine(affine, broadcastScale(floatValues(site.scale), channels), bias);
    makePerAxis(graph, site, channels);
    setFloatValues(site.scale, folded.scale, [channels]);
    writeBias(graph, site, folded.bias);
  } else if (site.weight) {
    const folded = foldAffine(affine, new Float32Array(channels).fill(1), bias);
    scaleWeightRows(site.weight, folded.scale, site.channelAxis);
    writeBias(graph, site, folded.bias);
  }
}

function makePerAxis(graph: GraphProto, site: FoldSite, channels: number): void {
  const dq = site.dequantize!;
  if (floatValues(site.scale!).length === channels && channels !== 1) return;
  const attrs = (dq.attribute ?? []).filter((a) => a.name !== 'axis');
  dq.attribute = [...attrs, { name: 'axis', type: 2, i: site.channelAxis }];
  const zeroName = dq.input?.[2];
  const zero = zeroName ? graph.initializer?.find((t) => t.name === zeroName) : undefined;
  if (zero) replicateScalar(zero, channels);
}

function writeBias(graph: GraphProto, site: FoldSite, bias: Float32Array): void {
  if (site.bias) {
    setFloatValues(site.bias, bias, [bias.length]);
    return;
  }
  const name = `${site.node.name ?? site.node.output![0]}_calibration_bias`;
  const tensor: TensorProto = { name, dataType: DataType.FLOAT };
  setFloatValues(tensor, bias, [bias.length]);
  graph.initializer = [...(graph.initializer ?? []), tensor];
  const inputs = [...(site.node.input ?? [])];
  while (inputs.length < 2) inputs.push('');
  inputs[2] = name;
  site.node.input = inputs;
}

function scaleWeightRows(weight: TensorProto, gain: Float32Array, axis: number): void {
  const dims = weight.dims ?? [];
  const values = floatValues(weight);
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  for (let i = 0; i < values.length; i++) values[i] *= gain[Math.floor(i / inner) % channels];
  setFloatValues(weight, values, dims);
}
