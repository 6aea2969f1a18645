// Per-channel running mean and variance of NCHW (or NC) activations, merged batch by batch with
// Chan et al.'s parallel update so a few hundred images never need to be held at once, and a large
// mean never swamps a small variance (no sum-of-squares cancellation).

export interface ChannelStats {
  channels: number;
  /** Values seen per channel (images x spatial positions). */
  count: number;
  mean: Float64Array;
  /** Sum of squared deviations from the mean (variance = m2 / count). */
  m2: Float64Array;
}

export function createChannelStats(channels: number): ChannelStats {
  return {
    channels,
    count: 0,
    mean: new Float64Array(channels),
    m2: new Float64Array(channels),
  };
}

/**
 * Folds a batch of shape [N, C, ...spatial] into `stats`. `dims` is the tensor shape; every
 * axis after the channel axis is pooled together with the batch axis.
 */
export function accumulateChannelStats(
  stats: ChannelStats,
  data: Float32Array,
  dims: readonly number[],
): void {
  const batch = dims[0];
  const channels = dims[1];
  if (channels !== stats.channels) {
    throw new Error(`channel stats: expected ${stats.channels} channels, got ${channels}`);
  }
  let spatial = 1;
  for (let d = 2; d < dims.length; d++) spatial *= dims[d];
  const n = batch * spatial;
  if (n === 0) return;
  for (let c = 0; c < channels; c++) {
    const [batchMean, batchM2] = channelMoments(data, batch, channels, spatial, c);
    mergeChannelMoments(stats, c, n, batchMean, batchM2);
  }
  stats.count += n;
}

function channelMoments(
  data: Float32Array,
  batch: number,
  channels: number,
  spatial: number,
  c: number,
): [number, number] {
  let sum = 0;
  for (let b = 0; b < batch; b++) {
    const base = (b * channels + c) * spatial;
    for (let s = 0; s < spatial; s++) sum += data[base + s];
  }
  const mean = sum / (batch * spatial);
  let m2 = 0;
  for (let b = 0; b < batch; b++) {
    const base = (b * channels + c) * spatial;
    for (let s = 0; s < spatial; s++) {
      const d = data[base + s] - mean;
      m2 += d * d;
    }
  }
  return [mean, m2];
}

/**
 * Merges n values of channel c with this mean and sum of squared deviations into `stats` (the
 * caller adds n to `stats.count` once per batch, after every channel).
 */
export function mergeChannelMoments(
  stats: ChannelStats,
  c: number,
  n: number,
  mean: number,
  m2: number,
): void {
  const seen = stats.count;
  const total = seen + n;
  const delta = mean - stats.mean[c];
  stats.mean[c] += (delta * n) / total;
  stats.m2[c] += m2 + (delta * delta * seen * n) / total;
}

/** Population standard deviation per channel. */
export function channelStd(stats: ChannelStats): Float64Array {
  const std = new Float64Array(stats.channels);
  if (stats.count === 0) return std;
  for (let c = 0; c < stats.channels; c++) std[c] = Math.sqrt(stats.m2[c] / stats.count);
  return std;
}
