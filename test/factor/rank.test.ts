import { describe, expect, it } from 'vitest';
import { cpDims, rankFromRate, resolveRank } from '../../src/core/factor/index.ts';

describe('rank', () => {
  it('follows R = floor(IJK / ((I+J+K) rate)) and its 2-way form', () => {
    expect(rankFromRate([16, 16, 9], 2)).toBe(28);
    expect(rankFromRate([64, 64, 9], 2)).toBe(134);
    expect(rankFromRate([64, 10], 1.5)).toBe(Math.floor(640 / (74 * 1.5)));
  });

  it('views convs as 3-way and 1x1 convs and matrices as 2-way', () => {
    expect(cpDims([32, 16, 3, 3])).toEqual([32, 16, 9]);
    expect(cpDims([32, 16, 1, 1])).toEqual([32, 16]);
    expect(cpDims([10, 64])).toEqual([10, 64]);
    expect(() => cpDims([5])).toThrow(RangeError);
  });

  it('prefers an explicit rank and rejects nonsense with a clear RangeError', () => {
    expect(resolveRank([16, 16, 9], 5, 2)).toBe(5);
    expect(() => resolveRank([16, 16, 9], 0)).toThrow(/rank must be an integer >= 1/);
    expect(() => resolveRank([16, 16, 9], -3)).toThrow(RangeError);
    expect(() => resolveRank([16, 16, 9], 2.5)).toThrow(RangeError);
    expect(() => resolveRank([4, 4, 9], 145)).toThrow(
      /rank 145 is above the 8 a 4x4x9 weight allows/,
    );
    expect(() => resolveRank([16, 16, 9], undefined, 0)).toThrow(/positive/);
    expect(() => resolveRank([16, 16, 9], undefined, -1)).toThrow(RangeError);
    expect(() => resolveRank([16, 16, 9], undefined, Number.NaN)).toThrow(RangeError);
    expect(() => resolveRank([2, 2, 1], undefined, 4)).toThrow(/rank 0 < 1/);
    expect(() => resolveRank([16, 16, 9])).toThrow(/rank or a reduction rate/);
  });
});
