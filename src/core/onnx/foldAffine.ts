// Folding a per-channel affine map that follows a layer into the layer's weight and bias:
// BatchNormalization (inference form), Mul by a per-channel constant, Add/Sub of one. Exporters
// such as Paddle2ONNX leave these unfolded; folded, the weight the solver sees is the weight the
// model really applies. Only when exact: the layer's output has no other reader, the constants
// are float32 and broadcast along the output channel only.
import { attrFloat, attrInt } from './attributes.ts';
import { makeTensor } from './builders.ts';
import { freshName, type GraphIndex, indexGraph, readCount } from './graphIndex.ts';
import { elementCount, tensorToFloat32 } from './tensor.ts';
import { DataType, type GraphProto, type NodeProto, type TensorProto } from './types.ts';

export interface AffineFoldCounts {
  batchNorm: number;
  mulAdd: number;
}

/** y -> y * scale + shift per output channel. */
interface Affine {
  scale: Float64Array;
  shift: Float64Array;
}

/** Where a layer's output channels sit: the rank of its output and the channel axis. */
interface LayerGeometry {
  channels: number;
  /** Output rank; MatMul's is unknown, so only constants of rank <= 1 (trailing axis) fold. */
  rank: number;
  axis: number;
  hasBias: boolean;
}

function floatInit(index: GraphIndex, name: string | undefined): TensorProto | undefined {
  const t = name ? index.initializers.get(name) : undefined;
  return t?.dataType === DataType.FLOAT ? t : undefined;
}

function geometry(node: NodeProto, w: TensorProto): LayerGeometry | null {
  const d = w.dims ?? [];
  switch (node.opType) {
    case 'Conv':
      return { channels: d[0], rank: d.length, axis: 1, hasBias: true };
    case 'ConvTranspose':
      return { channels: d[1] * attrInt(node, 'group', 1), rank: d.length, axis: 1, hasBias: true };
    case 'Gemm': {
      if (d.length !== 2) return null;
      const channels = attrInt(node, 'transB', 0) ? d[0] : d[1];
      return { channels, rank: 2, axis: 1, hasBias: true };
    }
    case 'MatMul':
      return d.length === 2 ? { channels: d[1], rank: 1, axis: 0, hasBias: false } : null;
    default:
      return null;
  }
}

/**
 * A constant's values per channel when it is broadcast against a tensor of `rank` whose
 * channels sit on `axis`; null if it would broadcast along another axis (or widen the tensor).
 */
function perChannel(
  t: TensorProto | undefined,
  g: Pick<LayerGeometry, 'channels' | 'rank' | 'axis'>,
): Float64Array | null {
  if (!t || t.dataType !== DataType.FLOAT) return null;
  const dims = t.dims ?? [];
  if (dims.length > g.rank) return null;
  const padded = [...Array(g.rank - dims.length).fill(1), ...dims];
  if (padded.some((n, i) => n !== 1 && !(i === g.axis && n === g.channels))) return null;
  const v = tensorToFloat32(t);
  return Float64Array.from({ length: g.channels }, (_, c) => (v.length === 1 ? v[0] : v[c]));
}

function batchNormAffine(bn: NodeProto, index: GraphIndex, g: LayerGeometry): Affine | null {
  if (!g.hasBias || attrInt(bn, 'training_mode', 0) !== 0) return null;
  if ((bn.output ?? []).slice(1).some((o) => o && readCount(index, o) > 0)) return null;
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => floatInit(index, bn.input?.[i]));
  if (!gamma || !beta || !mean || !variance) return null;
  const eps = attrFloat(bn, 'epsilon', 1e-5);
  const [gm, bt, mu, vr] = [gamma, beta, mean, variance].map(tensorToFloat32);
  if ([gm, bt, mu, vr].some((a) => a.length !== g.channels)) return null;
  const scale = Float64Array.from(gm, (x, c) => x / Math.sqrt(vr[c] + Math.fround(eps)));
  const shift = Float64Array.from(bt, (x, c) => x - mu[c] * scale[c]);
  return { scale, shift };
}

/** The affine map `next` applies to the layer output `y`, or null if it is not one we fold. */
function affineOf(next: NodeProto, y: string, index: GraphIndex, g: LayerGeometry) {
  if (next.domain && next.domain !== 'ai.onnx') return null;
  const inputs = next.input ?? [];
  const ones = () => new Float64Array(g.channels).fill(1);
  const zeros = () => new Float64Array(g.channels);
  switch (next.opType) {
    case 'BatchNormalization':
      return inputs[0] === y ? batchNormAffine(next, index, g) : null;
    case 'Mul': {
      const other = inputs[0] === y ? inputs[1] : inputs[0];
      const c = other === y ? null : perChannel(floatInit(index, other), g);
      return c ? { scale: c, shift: zeros() } : null;
    }
    case 'Add':
    case 'Sub': {
      if (!g.hasBias || (next.opType === 'Sub' && inputs[0] !== y)) return null;
      const other = inputs[0] === y ? inputs[1] : inputs[0];
      const c = other === y ? null : perChannel(floatInit(index, other), g);
      if (!c) return null;
      return { scale: ones(), shift: next.opType === 'Sub' ? c.map((v) => -v) : c };
    }
    default:
      return null;
  }
}

/** Scales the weight along its output channels. */
function scaledWeight(node: NodeProto, w: TensorProto, scale: Float64Array): Float32Array {
  const d = w.dims ?? [];
  const v = tensorToFloat32(w);
  const out = new Float32Array(v.length);
  const channelOf = channelIndexer(node, d);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * scale[channelOf(i)];
  return out;
}

function channelIndexer(node: NodeProto, d: number[]): (i: number) => number {
  const inner = elementCount(d.slice(2));
  switch (node.opType) {
    case 'Conv':
      return (i) => Math.floor(i / elementCount(d.slice(1)));
    case 'ConvTranspose': {
      // Weight [Cin, Cout/group, k...]: input channel i of group gi feeds outputs gi*Cout/g + j.
      const perGroupIn = d[0] / attrInt(node, 'group', 1);
      return (i) => {
        const j = Math.floor(i / inner) % d[1];
        const cin = Math.floor(i / (d[1] * inner));
        return Math.floor(cin / perGroupIn) * d[1] + j;
      };
    }
    case 'Gemm':
      return attrInt(node, 'transB', 0) ? (i) => Math.floor(i / d[1]) : (i) => i % d[1];
    default:
      return (i) => i % d[1];
  }
}

/** New bias (per channel) for the layer, or null if its current bias cannot take the shift. */
function shiftedBias(node: NodeProto, index: GraphIndex, g: LayerGeometry, a: Affine) {
  const name = node.input?.[2];
  const old = name ? floatInit(index, name) : undefined;
  if (name && !old) return null;
  // Conv biases are [C]; a Gemm's C broadcasts against its [N, out] output.
  const biasGeometry = node.opType === 'Gemm' ? g : { ...g, rank: 1, axis: 0 };
  const current = old ? perChannel(old, biasGeometry) : null;
  if (old && !current) return null;
  const beta = node.opType === 'Gemm' ? attrFloat(node, 'beta', 1) : 1;
  if (beta === 0) return null;
  return Float32Array.from(a.scale, (s, c) => (current ? current[c] : 0) * s + a.shift[c] / beta);
}

function floatTensor(dims: readonly number[], values: Float32Array): TensorProto {
  return makeTensor('', DataType.FLOAT, dims, values);
}

function replaceInput(
  graph: GraphProto,
  index: GraphIndex,
  node: NodeProto,
  slot: number,
  base: string,
  t: TensorProto,
): void {
  const old = node.input?.[slot];
  const inPlace = old && readCount(index, old) === 1;
  const name = inPlace ? old : freshName(index, base);
  const tensor = { ...t, name };
  const inits = graph.initializer ?? [];
  const at = inits.findIndex((x) => x.name === name);
  if (at >= 0) inits[at] = tensor;
  else inits.push(tensor);
  graph.initializer = inits;
  index.initializers.set(name, tensor);
  const input = [...(node.input ?? [])];
  while (input.length <= slot) input.push('');
  input[slot] = name;
  node.input = input;
}

function foldOne(graph: GraphProto, index: GraphIndex, node: NodeProto): string | null {
  const w = floatInit(index, node.input?.[1]);
  const y = node.output?.[0];
  if (!w || !y || index.graphOutputs.has(y) || index.subgraphReads.has(y)) return null;
  const readers = index.consumers.get(y) ?? [];
  if (readers.length !== 1) return null;
  const next = readers[0];
  const g = geometry(node, w);
  const a = g && affineOf(next, y, index, g);
  if (!g || !a) return null;
  const needsBias = a.shift.some((v) => v !== 0) || Boolean(node.input?.[2]);
  const bias = needsBias ? shiftedBias(node, index, g, a) : null;
  if (needsBias && !bias) return null;
  const base = node.name || node.opType || 'layer';
  const weight = scaledWeight(node, w, a.scale);
  replaceInput(graph, index, node, 1, `${base}_w`, floatTensor(w.dims ?? [], weight));
  if (bias) replaceInput(graph, index, node, 2, `${base}_b`, floatTensor([g.channels], bias));
  node.output = [next.output?.[0] ?? '', ...(node.output ?? []).slice(1)];
  graph.node = (graph.node ?? []).filter((n) => n !== next);
  return next.opType ?? '';
}

const LAYER_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** Folds affine maps into the layers before them until none is left; counts what it folded. */
export function foldAffineIntoLayers(graph: GraphProto): AffineFoldCounts {
  const counts: AffineFoldCounts = { batchNorm: 0, mulAdd: 0 };
  // One index serves the whole pass: a fold only rewires the layer's own weight, bias and output,
  // and the readers of its new output are those of the node it absorbed.
  const index = indexGraph(graph);
  for (const node of [...(graph.node ?? [])]) {
    if ((node.domain ?? '') !== '' || !LAYER_OPS.has(node.opType ?? '')) continue;
    for (let folded = foldOne(graph, index, node); folded; folded = foldOne(graph, index, node)) {
      if (folded === 'BatchNormalization') counts.batchNorm++;
      else counts.mulAdd++;
    }
  }
  return counts;
}
