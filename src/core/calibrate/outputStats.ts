// Per-channel statistics of chosen intermediate tensors, measured by running the model in
// onnxruntime-web with those tensors added as graph outputs.
import * as ort from 'onnxruntime-web';
import { createSession } from '../eval/session.ts';
import { accumulateChannelStats, type ChannelStats, createChannelStats } from './channelStats.ts';

/** One preprocessed input batch, batch first (e.g. [128, 3, 32, 32]). */
export interface CalibrationBatch {
  data: Float32Array;
  dims: number[];
}

/**
 * Runs every batch through `modelBytes` (whose graph must already output `names`) and returns
 * the channel statistics of each named tensor. `onBatch` is called after each batch.
 */
export async function collectOutputStats(
  modelBytes: Uint8Array,
  names: readonly string[],
  batches: readonly CalibrationBatch[],
  options: { signal?: AbortSignal; onBatch?: () => void } = {},
): Promise<Map<string, ChannelStats>> {
  const session = await createSession(modelBytes);
  const stats = new Map<string, ChannelStats>();
  try {
    const inputName = session.inputNames[0];
    for (const batch of batches) {
      options.signal?.throwIfAborted();
      const feed = new ort.Tensor('float32', batch.data, batch.dims);
      const results = await session.run({ [inputName]: feed }, [...names]);
      try {
        for (const name of names) accumulateTensor(stats, name, results[name]);
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

function accumulateTensor(stats: Map<string, ChannelStats>, name: string, tensor: ort.Tensor) {
  if (tensor?.type !== 'float32') {
    throw new Error(
      `calibration: output '${name}' is ${tensor?.type ?? 'missing'}, expected float32`,
    );
  }
  const dims = tensor.dims as readonly number[];
  let entry = stats.get(name);
  if (!entry) {
    entry = createChannelStats(dims[1]);
    stats.set(name, entry);
  }
  accumulateChannelStats(entry, tensor.data as Float32Array, dims);
}
