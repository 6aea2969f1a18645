// Weight-bearing layers (Conv, Gemm, MatMul with a constant weight), their cost and whether the
// QAF method applies to them (docs/qaf-method.md: 3-way CP for k x k convs, 2-way otherwise).
import { cpDims, groupCpDims, rankAtRate } from '../util/rank.ts';
import { attrInt, attrInts } from './attributes.ts';
import {
  isWeightNode,
  producersOf,
  RUNTIME_WEIGHT,
  type SkippedLayer,
  skippedMainNode,
  skipReason,
  subgraphWeightNodes,
} from './layerCensus.ts';
import type { Dim, Shape } from './shapes/dims.ts';
import type { InferredShapes } from './shapes/inferShapes.ts';
import { resolvePads, windowParams } from './shapes/opsSpatial.ts';
import { elementCount, tensorToFloat32 } from './tensor.ts';
import { DataType, type NodeProto, type OnnxModel, type TensorProto } from './types.ts';

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
    if (layer.weightShape[1] === 1) {
      return { factorizable: false, reason: 'depthwise: 1 input channel per group, quantize only' };
    }
    return classifyGrouped(layer, weights);
  }
  const taps = elementCount(layer.kernel);
  if (
    layer.op === 'Conv' &&
    layer.weightShape[1] === 1 &&
    layer.kernel.length === 1 &&
    taps >= 64
  ) {
    return {
      factorizable: false,
      reason: `looks like a fixed filter bank (STFT: 1 input channel, ${taps}-tap kernel): quantize only`,
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

/** The rate "where it pays" is judged at: the default of every shell. */
const GROUPED_JUDGE_RATE = 2;

/**
 * A grouped conv is factorized per group (grouped 1x1 -> depthwise -> grouped 1x1, rewrite) when
 * each group is large enough and the factorized layer costs fewer MACs than the grouped conv at
 * rate 2 (a strided conv's first 1x1 runs at the input size, which can cost more); else it is
 * quantized only, and the reason says why.
 */
function classifyGrouped(
  layer: LayerInfo,
  weights: number,
): { factorizable: boolean; reason: string } {
  const g = layer.group;
  const view = groupCpDims(layer.weightShape, g);
  if (weights < MIN_FACTORIZABLE_WEIGHTS || rankAtRate(view, MIN_RATE) < 1) {
    return {
      factorizable: false,
      reason: `grouped: ${g} groups, too small to factorize per group (${weights / g} weights each): quantize only`,
    };
  }
  const rank = Math.max(1, rankAtRate(view, GROUPED_JUDGE_RATE));
  const [co, ci, k] = view;
  const inPos = product((layer.inputShape ?? []).slice(2));
  const outPos = product((layer.outputShape ?? []).slice(2));
  // The cost model's factorizedMacs for the same layer (a 2-way one strides its first 1x1).
  const factorized =
    inPos === null || outPos === null
      ? null
      : k === undefined
        ? g * rank * (ci + co) * outPos
        : g * rank * (ci * inPos + (k + co) * outPos);
  if (factorized !== null && layer.macs !== null && factorized >= layer.macs) {
    return {
      factorizable: false,
      reason: `grouped: ${g} groups, quantize only (factorizing each group would not pay: ${factorized} MACs at rate ${GROUPED_JUDGE_RATE} against ${layer.macs})`,
    };
  }
  return {
    factorizable: true,
    reason: `grouped: ${g} groups, each factorized (CP rank-R, ${view.length}-way)`,
  };
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
): LayerInfo {
  const base = baseLayer(node, i, w, shapes);
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
  if (looksLikeFilterBank(w)) {
    const reason =
      'looks like a fixed filter bank (non-negative, mostly zeros, e.g. mel): quantize only';
    return { ...layer, factorizable: false, reason };
  }
  return { ...layer, ...classify({ ...layer, weightShape: view }) };
}

/**
 * Mel and similar filter banks are fixed signal processing, not learned weights: every value
 * >= 0 and most of them exactly 0 (triangular bands). Factorizing them distorts the features
 * every later layer reads, so they are only quantized.
 */
function looksLikeFilterBank(w: TensorProto): boolean {
  if (w.dataType !== DataType.FLOAT) return false;
  const v = tensorToFloat32(w);
  let zeros = 0;
  for (const x of v) {
    if (x < 0) return false;
    if (x === 0) zeros++;
  }
  return zeros >= v.length / 2;
}

/** A conv reading at most this many channels straight from a graph input reads a raw signal. */
const RAW_INPUT_CHANNELS = 4;

/**
 * Whether `value` is a graph input, or computed from exactly one through ops that are not weight
 * layers (layout changes, normalisation by constants, padding...), so a conv reading it sees the
 * raw image or waveform.
 */
function readsRawInput(model: OnnxModel, value: string): boolean {
  const g = model.graph;
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = new Set((g.input ?? []).map((v) => v.name ?? '').filter((n) => !inits.has(n)));
  const producers = new Map((g.node ?? []).flatMap((n) => (n.output ?? []).map((o) => [o, n])));
  const constant = (name: string) =>
    !name || inits.has(name) || producers.get(name)?.opType === 'Constant';
  let v = value;
  for (let step = 0; step < 16; step++) {
    if (inputs.has(v)) return true;
    const node = producers.get(v);
    if (!node || isWeightNode(node)) return false;
    const data = (node.input ?? []).filter((s) => !constant(s));
    if (data.length !== 1) return false;
    v = data[0];
  }
  return false;
}

/**
 * The published setup keeps the first conv: a conv on the raw input (an image's 3 channels, a
 * waveform's 1) is quantized only, however many weights it has. A layer pattern still selects it.
 */
function keepFirstConvs(model: OnnxModel, layers: LayerInfo[]): LayerInfo[] {
  const nodes = model.graph.node ?? [];
  return layers.map((l) => {
    const channels = (l.weightShape[1] ?? 0) * l.group;
    if (l.op !== 'Conv' || !l.factorizable || channels > RAW_INPUT_CHANNELS) return l;
    if (!readsRawInput(model, nodes[l.nodeIndex]?.input?.[0] ?? '')) return l;
    const reason = `first conv on the raw input (${channels} channel${channels === 1 ? '' : 's'}): quantize only, as the published setup keeps it`;
    return { ...l, factorizable: false, reason };
  });
}

export interface LayerCensus {
  /** The weight layers the pipeline can compress (factorize or quantize), in graph order. */
  layers: LayerInfo[];
  /** Every other Conv, ConvTranspose, Gemm and MatMul, with the reason in plain words. */
  skipped: SkippedLayer[];
}

/**
 * Every Conv, ConvTranspose, Gemm and MatMul of the model, subgraphs included: a LayerInfo when
 * its weight (second input) is a float32 initializer of the main graph, else a skipped entry.
 * Run normalizeModel first so that Constant nodes and constant chains count as initializers.
 */
export function layerCensus(model: OnnxModel, shapes: InferredShapes): LayerCensus {
  const inits = new Map((model.graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const inputs = new Set((model.graph.input ?? []).map((v) => v.name ?? ''));
  const producers = new Map(
    (model.graph.node ?? []).flatMap((n) => (n.output ?? []).map((o) => [o, n.opType] as const)),
  );
  const nodeOf = producersOf(model.graph);
  const layers: LayerInfo[] = [];
  const skipped: SkippedLayer[] = [];
  (model.graph.node ?? []).forEach((node, i) => {
    if (!isWeightNode(node)) return;
    let reason = skipReason(node, inits, inputs, nodeOf);
    const producer = producers.get(node.input?.[1] ?? '');
    if (reason === RUNTIME_WEIGHT && producer) reason = `${reason} (by a ${producer} node)`;
    if (reason) {
      skipped.push(skippedMainNode(node, i, inits, reason));
      return;
    }
    const weight = inits.get(node.input?.[1] ?? '')!;
    const bias = node.opType === 'MatMul' ? undefined : inits.get(node.input?.[2] ?? '');
    layers.push(
      node.opType === 'Conv'
        ? convLayer(node, i, weight, bias, shapes)
        : denseLayer(node, i, weight, bias, shapes),
    );
  });
  return {
    layers: keepFirstConvs(model, layers),
    skipped: [...skipped, ...subgraphWeightNodes(model.graph)],
  };
}

/** The compressible weight layers (see layerCensus), in graph order. */
export function discoverLayers(model: OnnxModel, shapes: InferredShapes): LayerInfo[] {
  return layerCensus(model, shapes).layers;
}
