// Seeded synthetic input statistics of a k x k conv (factor/inputMoments.ts InputMoments) for the
// data-aware benchmarks, shaped like the post-ReLU inputs of a trained CNN:
// - channels: a covariance with a power-law spectrum (flat for the first C/16 directions, then
//   ~r^-0.75) on random near-orthogonal directions, plus the outer product of a positive mean
//   (a fifth of E[x^2]);
// - kernel offsets: the k x k im2col patches (zero padding 1, as a 'same' conv) of rectified
//   random fields smoothed by a Gaussian of 0.6 pixel, so neighbouring offsets are correlated.
// Matched to ResNet-20's 64-channel convs on 512 CIFAR-10 training images (momentWeights of
// layer3.*): normalised channel eigenvalues 10-19 (the mean), 2.8-4.1, then 1.4-1.7 at the 9th
// and 0.5-0.7 at the 33rd; here 14.2, 3.9, 1.9, 0.46. Spatial: centre 1.1, edge neighbours
// 0.46-0.59, corners 0.24-0.38; here 1.09, 0.57, 0.39.
// Sums, not means, like calibrate/inputMoments.ts: momentWeights normalises them.
import type { InputMoments } from '../src/core/factor/inputMoments.ts';
import type { Kernels } from '../src/core/kernels/types.ts';
import { mulberry32, normalSampler } from '../src/core/util/prng.ts';

const IMAGES = 1024;
/** Share of E[x^2] that is the squared mean. */
const MEAN_SHARE = 0.2;
const FIELD_SIDE = 16;
const FIELDS = 64;
const FIELD_SIGMA = 0.6;

/** Input moments of a conv with `channels` inputs and a k x k kernel, deterministic for a seed. */
export function syntheticConvMoments(
  kernels: Kernels,
  channels: number,
  k: number,
  seed: number,
): InputMoments {
  // ResNet-18-like feature maps: 14 x 14 at 256 channels, 7 x 7 at 512.
  const side = Math.max(7, Math.round(3584 / channels));
  const samples = IMAGES * side * side;
  const { channel, mean } = channelMoment(kernels, channels, seed);
  for (let i = 0; i < channel.length; i++) channel[i] *= samples;
  return {
    images: IMAGES,
    samples,
    channels,
    channel,
    channelSum: Float64Array.from(mean, (m) => m * samples),
    kernel: k * k,
    ...(k > 1 && { spatial: spatialMoment(k, seed + 7) }),
    inputMode: 1,
  };
}

/** E[x x^T] = V diag(lambda) V^T + mu mu^T (trace ~ C), and mu. */
function channelMoment(kernels: Kernels, c: number, seed: number) {
  const next = normalSampler(seed);
  const knee = Math.max(1, c / 16);
  // Rows of A are sqrt(lambda_r) v_r with v_r ~ N(0, I / C): A^T A is the covariance.
  const a = new Float32Array(c * c);
  let trace = 0;
  for (let r = 0; r < c; r++) {
    const lambda = (1 + r / knee) ** -0.75;
    trace += lambda;
    const g = Math.sqrt(lambda / c);
    for (let i = 0; i < c; i++) a[r * c + i] = g * next();
  }
  const cov = kernels.gram(a, c, c);
  const uniform = mulberry32(seed + 1);
  const mean = Float64Array.from({ length: c }, () => 0.5 + uniform());
  const meanSq = mean.reduce((s, m) => s + m * m, 0);
  // ||mu||^2 = share * (tr(cov) + ||mu||^2)
  const scale = Math.sqrt(((MEAN_SHARE / (1 - MEAN_SHARE)) * trace) / meanSq);
  for (let i = 0; i < c; i++) mean[i] *= scale;
  const channel = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) channel[i * c + j] = cov[i * c + j] + mean[i] * mean[j];
  }
  return { channel, mean };
}

/** sum of p p^T over the k x k patches (zero padded) of smoothed, rectified random fields. */
function spatialMoment(k: number, seed: number): Float64Array {
  const kk = k * k;
  const out = new Float64Array(kk * kk);
  const next = normalSampler(seed);
  const pad = (k - 1) >> 1;
  const patch = new Float64Array(kk);
  for (let f = 0; f < FIELDS; f++) {
    const field = smoothed(FIELD_SIDE, next).map((v) => Math.max(0, v));
    for (let y = 0; y < FIELD_SIDE; y++) {
      for (let x = 0; x < FIELD_SIDE; x++) {
        for (let dy = 0; dy < k; dy++) {
          for (let dx = 0; dx < k; dx++) {
            const [yy, xx] = [y + dy - pad, x + dx - pad];
            const inside = yy >= 0 && yy < FIELD_SIDE && xx >= 0 && xx < FIELD_SIDE;
            patch[dy * k + dx] = inside ? field[yy * FIELD_SIDE + xx] : 0;
          }
        }
        for (let i = 0; i < kk; i++)
          for (let j = 0; j < kk; j++) out[i * kk + j] += patch[i] * patch[j];
      }
    }
  }
  return out;
}

/** White noise on a side x side grid, blurred by a Gaussian of FIELD_SIGMA pixels, unit variance. */
function smoothed(side: number, next: () => number): Float64Array {
  const margin = Math.ceil(3 * FIELD_SIGMA);
  const wide = side + 2 * margin;
  const noise = Float64Array.from({ length: wide * wide }, () => next());
  const taps = Array.from({ length: 2 * margin + 1 }, (_, t) =>
    Math.exp(-((t - margin) ** 2) / (2 * FIELD_SIGMA ** 2)),
  );
  const norm = Math.sqrt(taps.reduce((s, v) => s + v * v, 0));
  const rows = new Float64Array(wide * side);
  for (let y = 0; y < wide; y++) {
    for (let x = 0; x < side; x++) {
      let s = 0;
      for (let t = 0; t < taps.length; t++) s += taps[t] * noise[y * wide + x + t];
      rows[y * side + x] = s / norm;
    }
  }
  const out = new Float64Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let s = 0;
      for (let t = 0; t < taps.length; t++) s += taps[t] * rows[(y + t) * side + x];
      out[y * side + x] = s / norm;
    }
  }
  return out;
}
