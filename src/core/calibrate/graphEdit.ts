// The graph surgery calibration needs: fold a per-channel affine into the layer's last weight
// scale and bias. Everything is found from the layer's output tensor name, so it works for
// factorized (1x1 -> depthwise -> 1x1), PTQ and float layers alike, whatever the rewrite named
// its initializers. (Exposing tensors as graph outputs is generic: onnx/graphOutputs.ts.)
import type { GraphProto, NodeProto, TensorProto } from '../onnx/types.ts';
import { DataType } from '../onnx/types.ts';
import type { ChannelAffine } from './affine.ts';
import { broadcastScale, foldAffine } from './affine.ts';
import { CALIBRATION_ADD, layerProducer } from './channelAxis.ts';
import { floatValues, replicateScalar, setFloatValues } from './tensorData.ts';

// Moved to onnx/graphOutputs.ts; re-exported for importers not yet updated (activationRanges.ts).
export { prunedToOutputs, withGraphOutputs } from '../onnx/graphOutputs.ts';

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

const FOLDABLE = new Set(['Conv', 'Gemm', 'MatMul']);

export function findFoldSite(graph: GraphProto, outputName: string): FoldSite {
  const nodes = graph.node ?? [];
  const found = layerProducer(graph, outputName);
  const node = found?.node;
  if (!node || !FOLDABLE.has(node.opType ?? '')) {
    throw new CalibrationGraphError(
      `calibration: '${outputName}' is not the output of a Conv, Gemm or MatMul (${node?.opType ?? 'no node'})`,
    );
  }
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name, t]));
  const weightInput = node.input?.[1] ?? '';
  const dequantize =
    nodes.find((n) => n.opType === 'DequantizeLinear' && n.output?.[0] === weightInput) ?? null;
  // A MatMul has no bias input: its shift lives in the calibration Add after it (channelAxis.ts).
  const biasName = node.opType === 'MatMul' ? found.biasAdd?.input?.[1] : node.input?.[2];
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
  const axis = dequantizeAxis(site, inits);
  if (axis !== null && axis !== site.channelAxis) {
    // Scales along another axis (a MatMul weight quantized per input row) cannot take a gain per
    // output channel without requantizing the codes.
    throw new CalibrationGraphError(
      `calibration: the weight of '${node.name}' has scales along axis ${axis}, not along its output channels (axis ${site.channelAxis})`,
    );
  }
  return site;
}

/** The axis of a per-axis DequantizeLinear scale, or null for a per-tensor (or no) scale. */
function dequantizeAxis(site: FoldSite, inits: ReadonlyMap<string | undefined, TensorProto>) {
  if (!site.scale || !site.dequantize || floatValues(site.scale).length <= 1) return null;
  const axis = Number(site.dequantize.attribute?.find((a) => a.name === 'axis')?.i ?? 1);
  const rank = inits.get(site.dequantize.input?.[0])?.dims?.length ?? 0;
  return axis < 0 ? axis + rank : axis;
}

function outputChannelAxis(node: NodeProto): number {
  if (node.opType === 'Conv') return 0;
  if (node.opType === 'MatMul') return 1;
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
  if (site.node.opType === 'MatMul') {
    // y = x W + b as an Add after the MatMul, appended: calibration plans index the nodes, so
    // nothing may move until the end (placeCalibrationAdds).
    const out = site.node.output?.[0] ?? '';
    const raw = `${out}__uncalibrated`;
    site.node.output = [raw, ...(site.node.output ?? []).slice(1)];
    const add: NodeProto = {
      name: `${site.node.name || out}${CALIBRATION_ADD}`,
      opType: 'Add',
      input: [raw, name],
      output: [out],
    };
    graph.node = [...(graph.node ?? []), add];
    return;
  }
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
