import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/core/data/types.ts';
import { predictionSample, samplePositions } from '../../src/core/eval/sample.ts';

/** 5 x 3 RGB images whose pixels encode their index (red) and position (green, blue). */
function dataset(count: number, pixelType: Dataset['pixelType'] = 'uint8'): Dataset {
  return {
    count,
    width: 5,
    height: 3,
    channels: 3,
    pixelType,
    labels: Int32Array.from({ length: count }, (_, i) => i % 3),
    classNames: ['cat', 'dog', 'ship'],
    itemNames: null,
    getImage(i) {
      const data = new Uint8Array(5 * 3 * 3);
      for (let p = 0; p < 15; p++) data.set([i, p % 5, Math.floor(p / 5)], p * 3);
      return { width: 5, height: 3, channels: 3, data };
    },
  };
}

describe('sample predictions', () => {
  it('puts the disagreements first, then spreads the agreements', () => {
    const predictions = [0, 1, 2, 0, 1, 2, 0, 1];
    const reference = [0, 2, 2, 0, 0, 2, 0, 1];
    expect(samplePositions(predictions, reference, 4)).toEqual([1, 4, 0, 5]);
    expect(samplePositions(predictions, reference, 1)).toEqual([1]);
    expect(samplePositions(predictions, reference, 20)).toHaveLength(8);
  });

  it('maps positions to dataset indices, labels and thumbnails', () => {
    const indices = [7, 3, 9];
    const sample = predictionSample(dataset(10), indices, [1, 0, 2], [1, 2, 2], { count: 2 });
    expect(sample).not.toBeNull();
    expect(sample!.items).toEqual([
      { index: 3, label: 0, original: 2, compressed: 0 },
      { index: 7, label: 1, original: 1, compressed: 1 },
    ]);
    expect(sample!.disagreements).toBe(1);
    expect(sample!.evaluated).toBe(3);
    // Full size (under maxSide): the thumbnail is the image itself, in RGB.
    expect([sample!.thumbWidth, sample!.thumbHeight]).toEqual([5, 3]);
    expect(sample!.thumbnails.length).toBe(2 * 15 * 3);
    expect(Array.from(sample!.thumbnails.subarray(0, 6))).toEqual([3, 0, 0, 3, 1, 0]);
    expect(sample!.thumbnails[15 * 3]).toBe(7);
  });

  it('scales big images down to maxSide, and gives nothing for float inputs or no reference', () => {
    const small = predictionSample(dataset(2), [0, 1], [0, 1], [0, 1], { maxSide: 2 });
    expect([small!.thumbWidth, small!.thumbHeight]).toEqual([2, 1]);
    expect(predictionSample(dataset(2, 'float32'), [0], [0], [0])).toBeNull();
    expect(predictionSample(dataset(2), [0], [0], null)).toBeNull();
  });
});
