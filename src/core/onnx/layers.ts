// Weight-bearing layers (Conv, Gemm, MatMul with a constant weight), their cost and whether the
// QAF method applies to them (docs/qaf-method.md: 3-way CP for k x k convs, 2-way otherwise).
import { cpDims, rankAtRate } from '../util/rank.ts';
import { attrInt, attrInts } from './attributes.ts';
import type { Dim, Shape } from './shapes/dims.ts';
import type { InferredShapes } from './shapes/inferShapes.ts';
import { resolvePads, windowParams } from './shapes/opsSpatial.ts';
import { elementCount } from './tensor.ts';
import type { NodeProto, OnnxModel, TensorProto } from './types.ts';

export interface LayerInfo {
  /** Node name, or a readable fallback such as "Conv_3 (weight conv1.weight)". */
  name: string;
  nodeIndex: number;
  op: 'Conv' | 'Gemm' | 'MatMul';
  weightName: string;
  biasName?: string;
  weightShape: number[];
  /** Weight plus bias elements. */
  params: number;
  inputShape?: Shape;
  outputShape?: Shape;
  /** Multiply-accumulates per example (batch 1); null when a needed dim is not static. */
  macs: number | null;
  group: number;
  kernel: number[];
  strides: number[];
  /** [begin..., end...] as in ONNX; auto_pad SAME is resolved when the input size is known. */
  pads: number[];
  dilations: number[];
  factorizable: boolean;
  reason: string;
}

/** Layers below this many weights are not worth factorizing (stem convs, tiny classifiers). */
export const MIN_FACTORIZABLE_WEIGHTS = 1000;
/** The smallest published parameter-reduction rate: a layer must admit rank >= 1 at it. */
export const MIN_RATE = 1.2;

function product(dims: readonly Dim[]): number | null {
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

function classify(layer: LayerInfo): { factorizable: boolean; reason: string } {
  const weights = elementCount(layer.weightShape);
  if (layer.op === 'Conv' && layer.group > 1) {
    const depthwise = layer.weightShape[1] === 1;
    return {
      factorizable: false,
      reason: `${depthwise ? 'depthwise' : 'grouped'} convolution: quantize only`,
    };
  }
  if (layer.weightShape.length < 2) {
    return {
      factorizable: false,
      reason: `weight has ${layer.weightShape.length} dims: not a layer weight`,
    };
  }
  // The same view and rank rule as the engine and the cost model (src/core/util/rank.ts).
  const view = cpDims(layer.weightShape);
  if (weights < MIN_FACTORIZABLE_WEIGHTS || rankAtRate(view, MIN_RATE) < 1) {
    return { factorizable: false, reason: `too small to factorize: ${weights} weights` };
  }
  if (layer.op !== 'Conv') return { factorizable: true, reason: `${layer.op}: low-rank (2-way)` };
  const k = layer.kernel.join('x');
  return view.length === 3
    ? { factorizable: true, reason: `${k} conv: CP rank-R (3-way)` }
    : { factorizable: true, reason: `${k} conv: low-rank (2-way)` };
}

function convMacs(w: number[], out: Shape | undefined): number | null {
  if (!out) return null;
  const spatial = product(out.slice(2));
  return spatial === null ? null : elementCount(w) * spatial;
}

/** I*J per output row; rows are all leading dims after the batch dim (dim 0). */
function denseMacs(w: number[], out: Shape | undefined): number | null {
  if (!out) return null;
  const rows = out.length > 2 ? product(out.slice(1, -1)) : 1;
  return rows === null ? null : w[0] * w[1] * rows;
}

function layerName(node: NodeProto, nodeIndex: number, weightName: string): string {
  return node.name || `${node.opType}_${nodeIndex} (weight ${weightName})`;
}

function baseLayer(
  node: NodeProto,
  nodeIndex: number,
  weight: TensorProto,
  shapes: InferredShapes,
) {
  const weightName = weight.name ?? '';
  const input = node.input?.[0];
  const output = node.output?.[0];
  return {
    name: layerName(node, nodeIndex, weightName),
    nodeIndex,
    weightName,
    weightShape: [...(weight.dims ?? [])],
    inputShape: input ? shapes.shapes.get(input) : undefined,
    outputShape: output ? shapes.shapes.get(output) : undefined,
  };
}

function convLayer(
  node: NodeProto,
  i: number,
  w: TensorProto,
  bias: TensorProto | undefined,
  shapes: InferredShapes,
): LayerInfo {
  const base = baseLayer(node, i, w, shapes);
  const kernel = attrInts(node, 'kernel_shape') ?? base.weightShape.slice(2);
  const p = windowParams(node, kernel);
  const pads = (base.inputShape && resolvePads(base.inputShape.slice(2), p)) || p.pads;
  const params = elementCount(base.weightShape) + (bias ? elementCount(bias.dims ?? []) : 0);
  const layer: LayerInfo = {
    ...base,
    op: 'Conv',
    params,
    macs: convMacs(base.weightShape, base.outputShape),
    group: attrInt(node, 'group', 1),
    kernel,
    strides: p.strides,
    pads,
    dilations: p.dilations,
    factorizable: false,
    reason: '',
  };
  if (bias) layer.biasName = bias.name;
  return { ...layer, ...classify(layer) };
}

function denseLayer(
  node: NodeProto,
  i: number,
  w: TensorProto,
  bias: TensorProto | undefined,
  shapes: InferredShapes,
): LayerInfo | null {
  const base = baseLayer(node, i, w, shapes);
  if (base.weightShape.length !== 2) return null;
  const op = node.opType === 'Gemm' ? 'Gemm' : 'MatMul';
  // Gemm with transB stores the weight as out x in; the I x J view is (out, in) either way.
  const transB = op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
  const view = transB ? base.weightShape : [base.weightShape[1], base.weightShape[0]];
  const params = elementCount(base.weightShape) + (bias ? elementCount(bias.dims ?? []) : 0);
  const layer: LayerInfo = {
    ...base,
    op,
    params,
    macs: denseMacs(view, base.outputShape),
    group: 1,
    kernel: [1, 1],
    strides: [1, 1],
    pads: [0, 0, 0, 0],
    dilations: [1, 1],
    factorizable: false,
    reason: '',
  };
  if (bias) layer.biasName = bias.name;
  return { ...layer, ...classify({ ...layer, weightShape: view }) };
}

/** Every Conv, Gemm and MatMul whose weight (second input) is an initializer, in graph order. */
export function discoverLayers(model: OnnxModel, shapes: InferredShapes): LayerInfo[] {
  const inits = new Map((model.graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const layers: LayerInfo[] = [];
  (model.graph.node ?? []).forEach((node, i) => {
    const op = node.opType;
    if ((node.domain ?? '') !== '' || (op !== 'Conv' && op !== 'Gemm' && op !== 'MatMul')) return;
    const weight = inits.get(node.input?.[1] ?? '');
    if (!weight) return;
    const bias = op === 'MatMul' ? undefined : inits.get(node.input?.[2] ?? '');
    const layer =
      op === 'Conv'
        ? convLayer(node, i, weight, bias, shapes)
        : denseLayer(node, i, weight, bias, shapes);
    if (layer) layers.push(layer);
  });
  return layers;
}
