import { describe, expect, it } from 'vitest';
import { CIFAR10_CLASS_NAMES, parseCifar10 } from '../../src/core/data/cifar10.ts';
import { DatasetFormatError } from '../../src/core/data/types.ts';
import { describeShared, readShared } from '../support/shared.ts';

const RECORD = 3073;

/** Two records; record r has label r+3 and pixel bytes (plane * 10 + r + offset) mod 256. */
function twoRecords(): Uint8Array {
  const bytes = new Uint8Array(2 * RECORD);
  for (let r = 0; r < 2; r++) {
    bytes[r * RECORD] = r + 3;
    for (let k = 0; k < 3072; k++)
      bytes[r * RECORD + 1 + k] = (Math.floor(k / 1024) * 10 + r + k) % 256;
  }
  return bytes;
}

describe('parseCifar10', () => {
  it('reads labels and turns planar CHW records into HWC images', () => {
    const ds = parseCifar10(twoRecords());
    expect(ds.count).toBe(2);
    expect([ds.width, ds.height, ds.channels, ds.pixelType]).toEqual([32, 32, 3, 'uint8']);
    expect(Array.from(ds.labels!)).toEqual([3, 4]);
    expect(ds.classNames).toEqual([...CIFAR10_CLASS_NAMES]);
    const img = ds.getImage(1);
    // Pixel p of record 1: R = (p + 1), G = (10 + 1 + 1024 + p), B = (20 + 1 + 2048 + p), mod 256.
    const p = 37;
    expect(Array.from(img.data.subarray(3 * p, 3 * p + 3))).toEqual([
      (p + 1) % 256,
      (11 + 1024 + p) % 256,
      (21 + 2048 + p) % 256,
    ]);
    expect(() => ds.getImage(2)).toThrow(RangeError);
  });

  it('rejects a truncated file, saying so', () => {
    const bytes = twoRecords().subarray(0, RECORD + 100);
    expect(() => parseCifar10(bytes)).toThrow(DatasetFormatError);
    expect(() => parseCifar10(bytes)).toThrow(/not a whole number of 3073-byte records.*truncated/);
    expect(() => parseCifar10(new Uint8Array(0))).toThrow(/empty/);
  });

  it('rejects labels above 9 with the record number', () => {
    const bytes = twoRecords();
    bytes[RECORD] = 10;
    expect(() => parseCifar10(bytes)).toThrow(/record 1 has label 10, labels must be 0-9/);
  });
});

describeShared('parseCifar10 on the real test batch', () => {
  it('holds 10,000 images, 1,000 per class', () => {
    const ds = parseCifar10(readShared('data/cifar10_test_batch.bin'));
    expect(ds.count).toBe(10_000);
    const perClass = new Array(10).fill(0);
    for (const label of ds.labels!) perClass[label]++;
    expect(perClass).toEqual(new Array(10).fill(1000));
  });
});
