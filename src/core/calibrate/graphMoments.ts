// Per-channel moments of a tensor computed inside the graph: per batch, a few numbers per channel
// come out instead of the whole activation, which onnxruntime-web copies out of wasm memory into
// a fresh array on every run (in Node that costs about as much as running the network). Values
// are taken relative to one of their own (the batch's first value of the channel), summed per
// image in float32 (no Cast: a float64 pass costs 15 % of the network), the images and batches in
// float64 (Chan's update, as in channelStats.ts): the statistics are the JavaScript ones up to
// float32 rounding of short sums (about 1e-7 relative). A
// constant channel (a compressed channel whose weights all rounded to zero) has differences of
// exactly zero, so zero variance: it stays "dead" for the calibration (affine.ts).
import { makeNode, makeTensor } from '../onnx/builders.ts';
import { DataType, type NodeProto, type OnnxModel, type TensorProto } from '../onnx/types.ts';
import { channelLastWidths } from './channelAxis.ts';
import { type ChannelStats, createChannelStats, mergeChannelMoments } from './channelStats.ts';

/** Names of the graph outputs that carry one tensor's moments. */
export interface MomentOutputs {
  /** [C]: a value of each channel (float32) the others are taken relative to. */
  shift: string;
  /** [N, C]: per image, sums of the values less `shift`. */
  sum: string;
  /** [N, C]: per image, sums of their squares. */
  sum2: string;
  /** [3]: batch, channels, values per channel (int64). */
  shape: string;
}

/** The default-domain opset the model imports (0 when none is listed). */
function defaultOpset(model: OnnxModel): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry?.version ?? 0;
}

/**
 * Cast with a numeric `to` needs opset 6 and broadcasting Sub (and the corrections' Mul/Add) 7;
 * the reductions take their axes as an input from opset 18 on.
 */
export function canComputeMoments(model: OnnxModel): boolean {
  return defaultOpset(model) >= 7;
}

/**
 * Nodes and initializers that reduce each named tensor ([N, C, ...]) to its moments, and the
 * output names per tensor. The caller adds them to a graph that computes the tensors.
 */
export function momentNodes(
  model: OnnxModel,
  names: readonly string[],
): { nodes: NodeProto[]; initializers: TensorProto[]; outputs: Map<string, MomentOutputs> } {
  const opset = defaultOpset(model);
  const p = '__qaf_moments';
  const initializers = [
    makeTensor(`${p}_ncs`, DataType.INT64, [3], [0, 0, -1]),
    makeTensor(`${p}_flat`, DataType.INT64, [1], [-1]),
    makeTensor(`${p}_first`, DataType.INT64, [1], [0]),
    makeTensor(`${p}_axes`, DataType.INT64, [1], [2]),
  ];
  // ReduceSum takes its axes as an input from opset 13, ReduceSumSquare from 18.
  const reduce = (op: string, since: number, input: string, output: string) =>
    opset >= since
      ? makeNode(op, [input, `${p}_axes`], [output], { keepdims: 0 })
      : makeNode(op, [input], [output], { axes: [2], keepdims: 0 });
  const nodes: NodeProto[] = [];
  const outputs = new Map<string, MomentOutputs>();
  // Channels on the last axis (a MatMul's [..., C]): every other axis is a position.
  const last = channelLastWidths(model.graph, names);
  names.forEach((name, i) => {
    const t = `${p}_${i}`;
    const c = last.get(name);
    if (c) initializers.push(makeTensor(`${t}_nc1`, DataType.INT64, [3], [-1, c, 1]));
    nodes.push(
      makeNode('Reshape', [name, c ? `${t}_nc1` : `${p}_ncs`], [`${t}_ncs`]),
      makeNode('Gather', [`${t}_ncs`, `${p}_first`], [`${t}_k1`], { axis: 0 }),
      makeNode('Gather', [`${t}_k1`, `${p}_first`], [`${t}_k3`], { axis: 2 }),
      // Per image and channel, sums of x - k and of its square over the positions (float32, a
      // few hundred values each); the images are summed in float64 here. The values being near
      // their mean, the mean and the squared deviations follow without cancellation.
      makeNode('Sub', [`${t}_ncs`, `${t}_k3`], [`${t}_rel`]),
      reduce('ReduceSum', 13, `${t}_rel`, `${t}_sum`),
      reduce('ReduceSumSquare', 18, `${t}_rel`, `${t}_sum2`),
      makeNode('Reshape', [`${t}_k3`, `${p}_flat`], [`${t}_shift`]),
      makeNode('Shape', [`${t}_ncs`], [`${t}_shape`]),
    );
    outputs.set(name, {
      shift: `${t}_shift`,
      sum: `${t}_sum`,
      sum2: `${t}_sum2`,
      shape: `${t}_shape`,
    });
  });
  // Constants no node reads are dropped (onnxruntime warns about each): the shared [N, C, -1]
  // shape when every tensor has its channels last, the axes before opset 13.
  const read = new Set(nodes.flatMap((n) => n.input ?? []));
  return { nodes, initializers: initializers.filter((t) => read.has(t.name ?? '')), outputs };
}

/** The graph outputs of `momentNodes` for one tensor. */
export function momentFetches(m: MomentOutputs): string[] {
  return [m.shift, m.sum, m.sum2, m.shape];
}

/** Folds one batch's moments (a session's results) into the statistics of `name`. */
export function accumulateMoments(
  stats: Map<string, ChannelStats>,
  name: string,
  m: MomentOutputs,
  results: Record<string, { data: unknown }>,
): void {
  const shift = results[m.shift].data as Float32Array;
  const sum = results[m.sum].data as Float32Array;
  const sum2 = results[m.sum2].data as Float32Array;
  const shape = results[m.shape].data as BigInt64Array;
  const channels = Number(shape[1]);
  const n = Number(shape[0]) * Number(shape[2]);
  let entry = stats.get(name);
  if (!entry) {
    entry = createChannelStats(channels);
    stats.set(name, entry);
  }
  if (entry.channels !== channels) {
    throw new Error(`channel stats: expected ${entry.channels} channels, got ${channels}`);
  }
  if (n === 0) return;
  const images = Number(shape[0]);
  for (let c = 0; c < channels; c++) {
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < images; i++) {
      s1 += sum[i * channels + c];
      s2 += sum2[i * channels + c];
    }
    const mean = s1 / n;
    mergeChannelMoments(entry, c, n, shift[c] + mean, Math.max(0, s2 - s1 * mean));
  }
  entry.count += n;
}
