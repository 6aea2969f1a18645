// Per-channel statistics of chosen intermediate tensors, measured by running the model in
// onnxruntime-web with those tensors added as graph outputs.
import * as ort from 'onnxruntime-web';
import { createSession } from '../eval/session.ts';
import { prunedToOutputs } from '../onnx/graphOutputs.ts';
import { writeModel } from '../onnx/reader.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { channelLastWidths } from './channelAxis.ts';
import { accumulateChannelStats, type ChannelStats, createChannelStats } from './channelStats.ts';
import {
  accumulateMoments,
  canComputeMoments,
  momentFetches,
  momentNodes,
} from './graphMoments.ts';

/** One preprocessed input batch, batch first (e.g. [128, 3, 32, 32]). */
export interface CalibrationBatch {
  data: Float32Array;
  dims: number[];
  /**
   * Every graph input by name, for a model with several (src/core/data/tensors.ts); `data` and
   * `dims` then repeat the first float one. Absent: `data` feeds the model's first input.
   */
  inputs?: Readonly<Record<string, CalibrationInput>>;
}

export interface CalibrationInput {
  type: ort.Tensor.Type;
  data: ort.Tensor.DataType;
  dims: readonly number[];
}

/** The feeds of one batch for a session whose inputs are `inputNames`. */
export function batchFeeds(
  batch: CalibrationBatch,
  inputNames: readonly string[],
): Record<string, ort.Tensor> {
  if (!batch.inputs) return { [inputNames[0]]: new ort.Tensor('float32', batch.data, batch.dims) };
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of inputNames) {
    const input = batch.inputs[name];
    if (!input) throw new Error(`calibration: no data for model input "${name}"`);
    feeds[name] = new ort.Tensor(input.type, input.data as never, input.dims);
  }
  return feeds;
}

/**
 * Runs every batch through `modelBytes` (whose graph must already output `names`) and returns
 * the channel statistics of each named tensor. `onBatch` is called after each batch.
 */
export async function collectOutputStats(
  modelBytes: Uint8Array,
  names: readonly string[],
  batches: readonly CalibrationBatch[],
  options: {
    signal?: AbortSignal;
    onBatch?: () => void;
    /** Tensors whose channels are the last axis, with their count (channelAxis.ts). */
    channelLast?: ReadonlyMap<string, number>;
  } = {},
): Promise<Map<string, ChannelStats>> {
  const session = await createSession(modelBytes);
  const stats = new Map<string, ChannelStats>();
  try {
    for (const batch of batches) {
      options.signal?.throwIfAborted();
      const results = await session.run(batchFeeds(batch, session.inputNames), [...names]);
      try {
        for (const name of names) {
          accumulateTensor(stats, name, results[name], options.channelLast?.get(name));
        }
      } finally {
        for (const tensor of Object.values(results)) tensor.dispose();
      }
      options.onBatch?.();
    }
  } finally {
    await session.release();
  }
  return stats;
}

/**
 * Folds one output tensor (float32, [N, C, ...]; or [..., C] when `lastAxisChannels` gives C,
 * a MatMul's output) into the statistics kept under `name`.
 */
export function accumulateTensor(
  stats: Map<string, ChannelStats>,
  name: string,
  tensor: ort.Tensor,
  lastAxisChannels?: number,
): void {
  if (tensor?.type !== 'float32') {
    throw new Error(
      `calibration: output '${name}' is ${tensor?.type ?? 'missing'}, expected float32`,
    );
  }
  const c = lastAxisChannels;
  const dims = c ? [tensor.data.length / c, c] : (tensor.dims as readonly number[]);
  let entry = stats.get(name);
  if (!entry) {
    entry = createChannelStats(dims[1]);
    stats.set(name, entry);
  }
  accumulateChannelStats(entry, tensor.data as Float32Array, dims);
}

/**
 * The same statistics as `collectOutputStats` on `model` truncated to `names`, reduced per batch
 * inside the graph (graphMoments.ts) so no activation is copied out; equal to float rounding.
 * Models too old for the reduction (opset < 5) take the plain route.
 */
export async function collectOutputMoments(
  model: OnnxModel,
  names: readonly string[],
  batches: readonly CalibrationBatch[],
  options: { signal?: AbortSignal; onBatch?: () => void } = {},
): Promise<Map<string, ChannelStats>> {
  const pruned = prunedToOutputs(model, names);
  if (!canComputeMoments(model)) {
    const channelLast = channelLastWidths(model.graph, names);
    return collectOutputStats(writeModel(pruned), names, batches, { ...options, channelLast });
  }
  const reduce = momentNodes(model, names);
  const fetches = [...reduce.outputs.values()].flatMap(momentFetches);
  const graph = {
    ...pruned.graph,
    node: [...(pruned.graph.node ?? []), ...reduce.nodes],
    initializer: [...(pruned.graph.initializer ?? []), ...reduce.initializers],
    output: fetches.map((name) => ({ name })),
  };
  const session = await createSession(writeModel({ ...pruned, graph }));
  const stats = new Map<string, ChannelStats>();
  try {
    for (const batch of batches) {
      options.signal?.throwIfAborted();
      const results = await session.run(batchFeeds(batch, session.inputNames), fetches);
      try {
        for (const [name, m] of reduce.outputs) accumulateMoments(stats, name, m, results);
      } finally {
        for (const tensor of Object.values(results)) tensor.dispose();
      }
      options.onBatch?.();
    }
  } finally {
    await session.release();
  }
  return stats;
}
