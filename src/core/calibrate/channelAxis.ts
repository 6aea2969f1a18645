// Where a layer output keeps its channels. Conv ([N, C, ...]) and Gemm ([N, C]) put them on axis
// 1; a MatMul x[..., K] W[K, C] (attention and projection layers of sequence models, e.g. PP-OCR
// rec's [N, T, K]) puts them last. The statistics, the step graphs' corrections and the fold all
// need to know which, and a MatMul has no bias input: its correction's shift goes to an Add after
// it, named here so a second fold finds it.
import type { GraphProto, NodeProto, TensorProto } from '../onnx/types.ts';

/** Suffix of the Add that carries a calibrated MatMul's shift (the layer output's producer). */
export const CALIBRATION_ADD = '_calibration_add';

export interface LayerProducer {
  /** The Conv, Gemm or MatMul computing the layer. */
  node: NodeProto;
  /** The calibration Add after a MatMul (already folded once), else null. */
  biasAdd: NodeProto | null;
}

/** The node computing `outputName`, through a calibration Add; null when nothing produces it. */
export function layerProducer(graph: GraphProto, outputName: string): LayerProducer | null {
  const nodes = graph.node ?? [];
  const producer = (name: string) => nodes.find((n) => n.output?.[0] === name);
  const node = producer(outputName);
  if (!node) return null;
  if (node.opType === 'Add' && node.name?.endsWith(CALIBRATION_ADD)) {
    const inner = producer(node.input?.[0] ?? '');
    return inner ? { node: inner, biasAdd: node } : null;
  }
  return { node, biasAdd: null };
}

/**
 * The layer outputs among `names` whose channels are their last axis (a MatMul's), with the
 * channel count read from its weight (an initializer, or the codes of its DequantizeLinear).
 */
export function channelLastWidths(
  graph: GraphProto,
  names: readonly string[],
): Map<string, number> {
  const nodes = graph.node ?? [];
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const weightOf = (name: string): TensorProto | undefined => {
    const direct = inits.get(name);
    if (direct) return direct;
    const dq = nodes.find((n) => n.opType === 'DequantizeLinear' && n.output?.[0] === name);
    return dq ? inits.get(dq.input?.[0] ?? '') : undefined;
  };
  const widths = new Map<string, number>();
  for (const name of names) {
    const node = layerProducer(graph, name)?.node;
    if (node?.opType !== 'MatMul') continue;
    const dims = weightOf(node.input?.[1] ?? '')?.dims ?? [];
    if (dims.length === 2) widths.set(name, Number(dims[1]));
  }
  return widths;
}

/**
 * Moves each calibration Add (appended at the end while the calibration plan's node indices had
 * to stay put) right after the node it reads, so the graph is in topological order again.
 */
export function placeCalibrationAdds(graph: GraphProto): void {
  const nodes = graph.node ?? [];
  const adds = nodes.filter((n) => n.name?.endsWith(CALIBRATION_ADD));
  if (!adds.length) return;
  const rest = nodes.filter((n) => !adds.includes(n));
  for (const add of adds) {
    const at = rest.findIndex((n) => n.output?.includes(add.input?.[0] ?? ''));
    rest.splice(at + 1, 0, add);
  }
  graph.node = rest;
}
