import { describe, expect, it } from 'vitest';
import { broadcastScale, channelAffine, foldAffine } from '../../src/core/calibrate/affine.ts';
import {
  accumulateChannelStats,
  channelStd,
  createChannelStats,
} from '../../src/core/calibrate/channelStats.ts';
import { lcg } from '../support/random.ts';

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

describe('channel statistics', () => {
  it('matches a float64 two-pass reference across uneven batches of NCHW data', () => {
    const rand = lcg(7);
    const channels = 3;
    const spatial = 5;
    const batches = [1, 7, 3].map((n) => {
      const data = new Float32Array(n * channels * spatial);
      for (let i = 0; i < data.length; i++) {
        const c = Math.floor(i / spatial) % channels;
        data[i] = 1000 * c + (c + 1) * gaussian(rand); // large mean, small spread
      }
      return { n, data };
    });
    const stats = createChannelStats(channels);
    for (const { n, data } of batches)
      accumulateChannelStats(stats, data, [n, channels, 1, spatial]);
    for (let c = 0; c < channels; c++) {
      const values: number[] = [];
      for (const { n, data } of batches) {
        for (let b = 0; b < n; b++) {
          for (let s = 0; s < spatial; s++) values.push(data[(b * channels + c) * spatial + s]);
        }
      }
      const mean = values.reduce((a, v) => a + v, 0) / values.length;
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
      expect(stats.count).toBe(values.length);
      expect(stats.mean[c]).toBeCloseTo(mean, 9);
      expect(channelStd(stats)[c]).toBeCloseTo(Math.sqrt(variance), 9);
    }
  });

  it('pools a 2-D [N, C] output (Gemm) over the batch only', () => {
    const stats = createChannelStats(2);
    accumulateChannelStats(stats, Float32Array.from([1, 10, 3, 30]), [2, 2]);
    expect(Array.from(stats.mean)).toEqual([2, 20]);
    expect(Array.from(channelStd(stats))).toEqual([1, 10]);
  });
});

/**
 * A synthetic "layer": y[n, c] = sum_j scale[c] * codes[c, j] * x[n, j] + bias[c]. The original
 * layer has float weights; the compressed one 4-bit codes with a per-tensor scale and a
 * perturbed bias, so its output statistics differ from the original's in known ways.
 */
function runLayer(x: Float32Array, n: number, w: Float32Array, bias: Float32Array, cout: number) {
  const cin = w.length / cout;
  const y = new Float32Array(n * cout);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < cout; c++) {
      let acc = bias[c];
      for (let j = 0; j < cin; j++) acc += w[c * cin + j] * x[i * cin + j];
      y[i * cout + c] = acc;
    }
  }
  return y;
}

function stats2d(y: Float32Array, n: number, channels: number) {
  const s = createChannelStats(channels);
  accumulateChannelStats(s, y, [n, channels]);
  return s;
}

describe('calibration affine folded into scale and bias', () => {
  it('matches per-channel mean and variance while the codes stay on the grid', () => {
    const rand = lcg(3);
    const n = 2000;
    const cin = 7;
    const cout = 5;
    const x = Float32Array.from({ length: n * cin }, () => 0.5 + gaussian(rand));
    const w = Float32Array.from({ length: cout * cin }, () => gaussian(rand));
    const bias = Float32Array.from({ length: cout }, () => gaussian(rand));
    // Compressed: 4-bit codes of a shrunken weight (what a bad factorization does to the scale).
    const scale0 = 0.05;
    const codes = Int8Array.from(w, (v, i) =>
      Math.max(-8, Math.min(7, Math.round(((0.6 + 0.1 * (i % 3)) * v) / (scale0 * 10)))),
    );
    const codesBefore = Int8Array.from(codes);
    const biasHat = Float32Array.from(bias, (b) => 0.3 * b - 0.2);
    const dequant = (scale: Float32Array) =>
      Float32Array.from(codes, (q, i) => scale[Math.floor(i / cin)] * q);

    const original = stats2d(runLayer(x, n, w, bias, cout), n, cout);
    const scalePerChannel = broadcastScale(Float32Array.of(scale0), cout);
    const before = stats2d(runLayer(x, n, dequant(scalePerChannel), biasHat, cout), n, cout);
    const affine = channelAffine(original, before, { maxGain: 1e6, minGain: 0 });
    const folded = foldAffine(affine, scalePerChannel, biasHat);
    const after = stats2d(runLayer(x, n, dequant(folded.scale), folded.bias, cout), n, cout);

    const sigma = channelStd(original);
    const sigmaAfter = channelStd(after);
    for (let c = 0; c < cout; c++) {
      expect(Math.abs(after.mean[c] - original.mean[c])).toBeLessThan(1e-4 * (1 + sigma[c]));
      expect(sigmaAfter[c] / sigma[c]).toBeCloseTo(1, 4);
      expect(
        Math.abs(before.mean[c] - original.mean[c]) + Math.abs(channelStd(before)[c] - sigma[c]),
      ).toBeGreaterThan(0.05);
    }
    expect(codes).toEqual(codesBefore);
    for (const q of codes) expect(Number.isInteger(q) && q >= -8 && q <= 7).toBe(true);
  });

  it('clamps the gain when the compressed channel has almost no spread', () => {
    const original = createChannelStats(3);
    const compressed = createChannelStats(3);
    accumulateChannelStats(original, Float32Array.from([0, 2, 4, 2, 4, 6]), [2, 3]);
    // Channel 0 nearly constant, channel 1 constant (dead), channel 2 normal.
    accumulateChannelStats(compressed, Float32Array.from([1, 5, 1, 1 + 1e-5, 5, 3]), [2, 3]);
    const { gain, shift } = channelAffine(original, compressed, { maxGain: 10 });
    expect(gain[0]).toBe(10);
    expect(gain[1]).toBe(1);
    expect(shift[1]).toBeCloseTo(3 - 5, 6);
    expect(gain[2]).toBeCloseTo(1, 6);
    expect(shift[2]).toBeCloseTo(3, 6);
  });

  it('refuses a scale that is neither per tensor nor per channel', () => {
    expect(() => broadcastScale(new Float32Array(2), 3)).toThrow(/length 2/);
    expect(Array.from(broadcastScale(Float32Array.of(0.5), 3))).toEqual([0.5, 0.5, 0.5]);
  });
});
