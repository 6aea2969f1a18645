// The input statistics of a layer that data-aware QAF weighs its error with (docs/data-aware-qaf.md):
// second moments of the layer's input, accumulated on calibration images (calibrate/inputMoments.ts
// captures them), and their conversion into one weight matrix per CP mode. Plain data, so a job
// carrying them crosses a worker boundary unchanged.

import { cpDims } from '../util/rank.ts';
import type { CompressJob, QafObjective } from './types.ts';

/** Raw second-moment sums of one layer's input (not normalised, not damped). */
export interface InputMoments {
  /** Calibration images the sums were taken over. */
  images: number;
  /** Input vectors summed into `channel` (images x spatial positions). */
  samples: number;
  /** Input channels (the weight's input dimension). */
  channels: number;
  /** sum of x x^T over the input's channel vectors: channels x channels, row-major. */
  channel: Float64Array;
  /** sum of x over the same vectors (length channels), for the centred moment; optional. */
  channelSum?: Float64Array;
  /**
   * Weigh by the channel covariance (the moment centred with `channelSum`) instead of the second
   * moment: set when the model is calibrated after compression, which removes the error of the
   * mean input (a per-output-channel shift), so only the rest should steer the factors.
   */
  centre?: boolean;
  /** kh * kw; 1 for a 1x1 conv, a Gemm or a MatMul. */
  kernel: number;
  /**
   * sum of p p^T over every (patch, channel): the kernel x kernel moments of the im2col patches,
   * row-major like the weight's kh x kw; absent when `kernel` is 1.
   */
  spatial?: Float64Array;
  /** Which mode of the CP view (cpDims of the weight shape) is the input channels. */
  inputMode: 0 | 1;
}

/**
 * QAF's objective for a job: as asked, else data-aware when the job carries its layer's input
 * statistics (the default since issue #13: bench:data-aware), else the published one; null for
 * the other methods.
 */
export function jobObjective(
  job: Pick<CompressJob, 'method' | 'objective' | 'inputMoments'>,
): QafObjective | null {
  if (job.method !== 'admm') return null;
  return job.objective ?? (job.inputMoments ? 'data' : 'published');
}

/** What the ADMM weighs: a symmetric positive definite matrix per mode, or null (identity). */
export type ModeWeights = (Float64Array | null)[];

/** Damping added to each normalised second moment: lambda * mean(diag) * I (doc: "Damping"). */
export const MOMENT_DAMPING = 0.01;
/**
 * Fewest images and input vectors per channel for a usable second moment. Fewer images than
 * this see too few activation patterns (a single image's positions are strongly correlated),
 * and fewer vectors than 4 per dimension leave the matrix near-singular before damping.
 */
export const MIN_MOMENT_IMAGES = 16;
export const MIN_SAMPLES_PER_CHANNEL = 4;

export type MomentCheck = { weights: ModeWeights } | { reason: string };

/**
 * The per-mode weights of a layer of weight `shape` from its input moments, or why the
 * published objective must be used instead (too few images, shapes that do not match, a
 * non-finite or zero input). Mode 0 (outputs) is never weighted.
 */
export function momentWeights(
  moments: InputMoments | undefined,
  shape: readonly number[],
  damping = MOMENT_DAMPING,
): MomentCheck {
  if (!moments) return { reason: 'no input statistics reached this layer' };
  const dims = cpDims(shape);
  const { images, samples, channels, kernel } = moments;
  if (images < MIN_MOMENT_IMAGES || samples < MIN_SAMPLES_PER_CHANNEL * channels) {
    return {
      reason:
        `input statistics from ${images} images (${samples} vectors for ${channels} channels) are too few ` +
        `for a stable covariance: need at least ${MIN_MOMENT_IMAGES} images and ` +
        `${MIN_SAMPLES_PER_CHANNEL * channels} vectors`,
    };
  }
  const kernelDim = dims.length === 3 ? dims[2] : 1;
  if (dims[moments.inputMode] !== channels || kernelDim !== kernel) {
    return {
      reason: `input statistics of ${channels} channels x ${kernel} do not match the weight [${shape.join(', ')}]`,
    };
  }
  const centred = channelMoment(moments);
  if (traceOf(centred, channels) <= 1e-9 * traceOf(moments.channel, channels)) {
    return { reason: 'the layer input does not vary over the calibration images' };
  }
  const channel = normalisedMoment(centred, channels, damping);
  if (!channel)
    return { reason: 'the layer input is zero or not finite on the calibration images' };
  const weights: ModeWeights = dims.map(() => null);
  weights[moments.inputMode] = channel;
  if (dims.length === 3 && moments.spatial) {
    const spatial = normalisedMoment(moments.spatial, kernel, damping);
    if (!spatial) return { reason: 'the spatial input statistics are zero or not finite' };
    weights[2] = spatial;
  }
  return { weights };
}

/** M / mean(diag M) + damping * I, symmetrised; null when M is zero or not finite. */
export function normalisedMoment(m: Float64Array, n: number, damping: number): Float64Array | null {
  if (m.length !== n * n) return null;
  let diag = 0;
  for (let i = 0; i < n; i++) diag += m[i * n + i];
  const mean = diag / n;
  if (!(mean > 0) || !Number.isFinite(mean)) return null;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = (m[i * n + j] + m[j * n + i]) / (2 * mean);
      if (!Number.isFinite(v)) return null;
      out[i * n + j] = v;
    }
    out[i * n + i] += damping;
  }
  // Renormalised so the mean diagonal is 1 again: rho = trace(G)/R keeps its meaning.
  const scale = 1 / (1 + damping);
  for (let i = 0; i < out.length; i++) out[i] *= scale;
  return out;
}

/** The channel second moment, or its centred form (covariance times samples) when asked. */
export function channelMoment(m: InputMoments): Float64Array {
  if (!m.centre || !m.channelSum || m.channelSum.length !== m.channels) return m.channel;
  const c = m.channels;
  const out = Float64Array.from(m.channel);
  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) out[i * c + j] -= (m.channelSum[i] * m.channelSum[j]) / m.samples;
  }
  return out;
}

function traceOf(m: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += m[i * n + i];
  return t;
}
