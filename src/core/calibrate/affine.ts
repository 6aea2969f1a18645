// The per-channel correction that replaces BatchNorm re-estimation for BN-folded models: make a
// compressed layer's pre-activation outputs match the original layer's mean and variance,
//   y' = a_c * y + (mu_c - a_c * mu'_c),   a_c = sigma_c / sigma'_c,
// then fold a_c into the last factor's per-channel scale and the shift into the bias, so the
// integer codes never move off their grid.
import { type ChannelStats, channelStd } from './channelStats.ts';

export interface ChannelAffine {
  /** a_c: multiplies the layer's weight scale (and its bias). */
  gain: Float32Array;
  /** mu_c - a_c * mu'_c: added to the scaled bias. */
  shift: Float32Array;
}

export interface AffineOptions {
  /**
   * Upper bound on a_c. A compressed channel that collapsed to (near) zero variance would
   * otherwise be blown up into noise; beyond this gain we trust the mean shift only.
   */
  maxGain?: number;
  /** Lower bound on a_c, for the symmetric reason. */
  minGain?: number;
}

const DEFAULT_MAX_GAIN = 10;
const DEFAULT_MIN_GAIN = 0.1;

export function channelAffine(
  original: ChannelStats,
  compressed: ChannelStats,
  options: AffineOptions = {},
): ChannelAffine {
  if (original.channels !== compressed.channels) {
    throw new Error(
      `calibration: original has ${original.channels} channels, compressed has ${compressed.channels}`,
    );
  }
  const maxGain = options.maxGain ?? DEFAULT_MAX_GAIN;
  const minGain = options.minGain ?? DEFAULT_MIN_GAIN;
  const sigma = channelStd(original);
  const sigmaHat = channelStd(compressed);
  const gain = new Float32Array(original.channels);
  const shift = new Float32Array(original.channels);
  for (let c = 0; c < original.channels; c++) {
    gain[c] = safeGain(sigma[c], sigmaHat[c], minGain, maxGain);
    shift[c] = original.mean[c] - gain[c] * compressed.mean[c];
  }
  return { gain, shift };
}

function safeGain(sigma: number, sigmaHat: number, minGain: number, maxGain: number): number {
  // Both (near) constant: a dead channel stays dead, only its mean is matched.
  if (sigmaHat <= 1e-12 * Math.max(1, sigma)) return 1;
  const a = sigma / sigmaHat;
  if (!Number.isFinite(a)) return 1;
  return Math.min(maxGain, Math.max(minGain, a));
}

/**
 * Folds the affine into a layer: the weight's per-output-channel scale is multiplied by a_c and
 * the bias becomes a_c * b_c + shift_c. `scale` has one entry per output channel (a per-tensor
 * scale must be broadcast first, see `broadcastScale`). Returns new arrays.
 */
export function foldAffine(
  affine: ChannelAffine,
  scale: Float32Array,
  bias: Float32Array | null,
): { scale: Float32Array; bias: Float32Array } {
  const channels = affine.gain.length;
  if (scale.length !== channels) {
    throw new Error(`calibration: scale has ${scale.length} entries for ${channels} channels`);
  }
  const newScale = new Float32Array(channels);
  const newBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    newScale[c] = scale[c] * affine.gain[c];
    newBias[c] = affine.gain[c] * (bias ? bias[c] : 0) + affine.shift[c];
  }
  return { scale: newScale, bias: newBias };
}

/** A per-tensor scale (length 1) repeated per output channel; a per-channel one is copied. */
export function broadcastScale(scale: Float32Array, channels: number): Float32Array {
  if (scale.length === channels) return Float32Array.from(scale);
  if (scale.length !== 1) {
    throw new Error(`calibration: scale of length ${scale.length} for ${channels} channels`);
  }
  return new Float32Array(channels).fill(scale[0]);
}

/** Largest |a_c - 1|: how far a layer's spread still is from the original's (0 once matched). */
export function affineDistance(affine: ChannelAffine): number {
  let worst = 0;
  for (let c = 0; c < affine.gain.length; c++)
    worst = Math.max(worst, Math.abs(affine.gain[c] - 1));
  return worst;
}
