import { describe, expect, it } from 'vitest';
import {
  argmaxRows,
  countAgreement,
  isProbabilityRows,
  klDivergence,
  percentile,
  softmax,
  toProbabilities,
  top1,
  topK,
} from '../../src/core/eval/metrics.ts';

const scores = Float32Array.from([1, 2, 3, 3, 1, 2]); // 2 rows x 3 classes

describe('top-k', () => {
  it('counts hand-checked hits', () => {
    expect(Array.from(argmaxRows(scores, 2, 3))).toEqual([2, 0]);
    expect(top1(scores, [2, 1], 3)).toBe(0.5);
    expect(top1(scores, [2, 0], 3)).toBe(1);
    // Row 1's label 1 has the lowest score: only in the top 3.
    expect(topK(scores, [2, 1], 3, 2)).toBe(0.5);
    expect(topK(scores, [2, 1], 3, 3)).toBe(1);
    expect(topK(scores, [0, 2], 3, 2)).toBe(0.5);
  });

  it('lets a tie for the k-th place count', () => {
    const tied = Float32Array.from([5, 5, 1]);
    expect(topK(tied, [1], 3, 1)).toBe(1);
    expect(Array.from(argmaxRows(tied, 1, 3))).toEqual([0]);
  });
});

describe('softmax and KL', () => {
  it('matches hand values and does not overflow', () => {
    const p = softmax(Float32Array.from([0, Math.log(3), 1000, 1000]), 2, 2);
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(p[1]).toBeCloseTo(0.75, 6);
    expect(Array.from(p.subarray(2))).toEqual([0.5, 0.5]);
  });

  it('KL([.5,.5] || [.25,.75]) = 0.5 ln(4/3) and KL(p || p) = 0', () => {
    const p = Float64Array.from([0.5, 0.5]);
    const q = Float64Array.from([0.25, 0.75]);
    expect(klDivergence(p, q, 1, 2)).toBeCloseTo(0.5 * Math.log(4 / 3), 12);
    expect(klDivergence(p, p, 1, 2)).toBe(0);
    // Mean over rows: the second row is identical, so the mean halves.
    const p2 = Float64Array.from([0.5, 0.5, 0.2, 0.8]);
    const q2 = Float64Array.from([0.25, 0.75, 0.2, 0.8]);
    expect(klDivergence(p2, q2, 2, 2)).toBeCloseTo(0.25 * Math.log(4 / 3), 12);
  });

  it('is finite when the model gives a class zero probability', () => {
    const kl = klDivergence(Float64Array.from([0.5, 0.5]), Float64Array.from([1, 0]), 1, 2);
    expect(Number.isFinite(kl)).toBe(true);
    expect(kl).toBeGreaterThan(10);
  });

  it('recognises rows that already are probabilities', () => {
    expect(isProbabilityRows(Float32Array.from([0.2, 0.8, 1, 0]), 2, 2)).toBe(true);
    expect(isProbabilityRows(Float32Array.from([0.2, 0.9]), 1, 2)).toBe(false);
    expect(isProbabilityRows(Float32Array.from([-1, 2]), 1, 2)).toBe(false);
    expect(toProbabilities(Float32Array.from([0.25, 0.75]), 1, 2)[1]).toBeCloseTo(0.75, 7);
  });
});

describe('agreement and percentile', () => {
  it('counts equal top-1 rows', () => {
    const other = Float32Array.from([0, 0, 9, 0, 9, 0]);
    expect(countAgreement(scores, scores, 2, 3)).toBe(2);
    expect(countAgreement(scores, other, 2, 3)).toBe(1);
  });

  it('interpolates linearly like numpy', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 90)).toBeCloseTo(3.7, 12);
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});
