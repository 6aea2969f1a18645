// Per-channel moments of a tensor computed inside the graph: per batch, the channel means and the
// sums of squared deviations from them (3 x C numbers) come out instead of the whole activation,
// which onnxruntime-web copies out of wasm memory into a fresh array on every run (in Node that
// costs about as much as running the network). The reduction runs in float64 (a Cast first) and
// batches are merged by Chan's update as in channelStats.ts, so the statistics are the
// JavaScript ones up to summation order. Values are taken relative to one of their own (the
// batch's first value of the channel) before the two-pass reduction, so a constant channel (a
// compressed channel whose weights all rounded to zero) has exactly zero variance and stays
// "dead" for the calibration (affine.ts).
import { makeNode, makeTensor } from '../onnx/builders.ts';
import { DataType, type NodeProto, type OnnxModel, type TensorProto } from '../onnx/types.ts';
import { type ChannelStats, createChannelStats, mergeChannelMoments } from './channelStats.ts';

/** Names of the graph outputs that carry one tensor's moments. */
export interface MomentOutputs {
  /** [C]: a value of each channel the others are taken relative to. */
  shift: string;
  /** [C]: the batch's channel means, relative to `shift`. */
  mean: string;
  /** [C]: sums of squared deviations from those means. */
  m2: string;
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
  const axesAsInput = defaultOpset(model) >= 18;
  const p = '__qaf_moments';
  const initializers = [
    makeTensor(`${p}_ncs`, DataType.INT64, [3], [0, 0, -1]),
    makeTensor(`${p}_flat`, DataType.INT64, [1], [-1]),
    makeTensor(`${p}_first`, DataType.INT64, [1], [0]),
  ];
  if (axesAsInput) initializers.push(makeTensor(`${p}_axes`, DataType.INT64, [2], [0, 2]));
  const reduce = (op: string, input: string, output: string, keepdims: number) =>
    axesAsInput
      ? makeNode(op, [input, `${p}_axes`], [output], { keepdims })
      : makeNode(op, [input], [output], { axes: [0, 2], keepdims });
  const nodes: NodeProto[] = [];
  const outputs = new Map<string, MomentOutputs>();
  names.forEach((name, i) => {
    const t = `${p}_${i}`;
    nodes.push(
      makeNode('Reshape', [name, `${p}_ncs`], [`${t}_ncs32`]),
      makeNode('Cast', [`${t}_ncs32`], [`${t}_ncs`], { to: DataType.DOUBLE }),
      makeNode('Gather', [`${t}_ncs`, `${p}_first`], [`${t}_k1`], { axis: 0 }),
      makeNode('Gather', [`${t}_k1`, `${p}_first`], [`${t}_k3`], { axis: 2 }),
      makeNode('Sub', [`${t}_ncs`, `${t}_k3`], [`${t}_rel`]),
      reduce('ReduceMean', `${t}_rel`, `${t}_mean3`, 1),
      makeNode('Sub', [`${t}_rel`, `${t}_mean3`], [`${t}_dev`]),
      reduce('ReduceSumSquare', `${t}_dev`, `${t}_m2`, 0),
      makeNode('Reshape', [`${t}_k3`, `${p}_flat`], [`${t}_shift`]),
      makeNode('Reshape', [`${t}_mean3`, `${p}_flat`], [`${t}_mean`]),
      makeNode('Shape', [`${t}_ncs`], [`${t}_shape`]),
    );
    outputs.set(name, {
      shift: `${t}_shift`,
      mean: `${t}_mean`,
      m2: `${t}_m2`,
      shape: `${t}_shape`,
    });
  });
  return { nodes, initializers, outputs };
}

/** The graph outputs of `momentNodes` for one tensor. */
export function momentFetches(m: MomentOutputs): string[] {
  return [m.shift, m.mean, m.m2, m.shape];
}

/** Folds one batch's moments (a session's results) into the statistics of `name`. */
export function accumulateMoments(
  stats: Map<string, ChannelStats>,
  name: string,
  m: MomentOutputs,
  results: Record<string, { data: unknown }>,
): void {
  const shift = results[m.shift].data as Float64Array;
  const mean = results[m.mean].data as Float64Array;
  const m2 = results[m.m2].data as Float64Array;
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
  for (let c = 0; c < channels; c++) mergeChannelMoments(entry, c, n, shift[c] + mean[c], m2[c]);
  entry.count += n;
}
