import { describe, expect, it } from 'vitest';
import { rangeIndices, subsetIndices } from '../../src/core/data/subset.ts';

function labelsOf(perClass: number[]): Int32Array {
  const labels: number[] = [];
  // Interleaved so class membership is not contiguous, like a real file.
  for (let i = 0; labels.length < perClass.reduce((a, b) => a + b, 0); i++) {
    perClass.forEach((n, c) => {
      if (i < n) labels.push(c);
    });
  }
  return Int32Array.from(labels);
}

describe('subsetIndices', () => {
  it('takes a balanced, sorted, repeatable quick subset', () => {
    const labels = labelsOf(new Array(10).fill(300));
    const ds = { count: labels.length, labels };
    const a = subsetIndices(ds, 'quick');
    expect(a.length).toBe(1000);
    expect(Array.from(subsetIndices(ds, 'quick'))).toEqual(Array.from(a));
    expect(new Set(a).size).toBe(1000);
    expect(Array.from(a)).toEqual(Array.from(a).sort((x, y) => x - y));
    const perClass = new Array(10).fill(0);
    for (const i of a) perClass[labels[i]]++;
    expect(perClass).toEqual(new Array(10).fill(100));
  });

  it('fills up from other classes when one runs short', () => {
    const labels = labelsOf([20, 200, 200]);
    const a = subsetIndices({ count: labels.length, labels }, 'quick', 100);
    const perClass = [0, 0, 0];
    for (const i of a) perClass[labels[i]]++;
    expect(perClass).toEqual([20, 40, 40]);
  });

  it('spreads evenly without labels; full and small sets are everything', () => {
    expect(Array.from(subsetIndices({ count: 10, labels: null }, 'quick', 4))).toEqual([
      0, 2, 5, 7,
    ]);
    expect(subsetIndices({ count: 5000, labels: null }, 'full').length).toBe(5000);
    expect(Array.from(subsetIndices({ count: 3, labels: null }, 'quick'))).toEqual([0, 1, 2]);
    expect(Array.from(rangeIndices(3))).toEqual([0, 1, 2]);
  });
});
