import { describe, expect, it } from 'vitest';
import { parseNpyHeader, parseNpyImages } from '../../src/core/data/npy.ts';
import { DatasetFormatError } from '../../src/core/data/types.ts';
import { npyBytes, npyWithHeader } from './fixtures.ts';

describe('parseNpyHeader', () => {
  it('reads v1 and v2 headers', () => {
    const data = new Float32Array(2 * 3 * 2 * 2);
    for (const version of [1, 2] as const) {
      const header = parseNpyHeader(npyBytes('<f4', [2, 3, 2, 2], data, version));
      expect(header.dtype).toBe('float32');
      expect(header.shape).toEqual([2, 3, 2, 2]);
      expect(header.dataOffset % 64).toBe(0);
    }
  });

  it('rejects bad magic, a malformed header and unsupported dtypes clearly', () => {
    const good = npyBytes('|u1', [1, 1, 1, 1], new Uint8Array(1));
    const badMagic = good.slice();
    badMagic[1] = 0x41;
    expect(() => parseNpyHeader(badMagic)).toThrow(DatasetFormatError);
    expect(() => parseNpyHeader(badMagic)).toThrow(/not a .npy file/);
    const noShape = npyWithHeader("{'descr': '<f4', 'fortran_order': False, }", new Uint8Array(4));
    expect(() => parseNpyHeader(noShape)).toThrow(/malformed .npy header/);
    const badShape = npyWithHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }",
      new Uint8Array(4),
    );
    expect(() => parseNpyHeader(badShape)).toThrow(/malformed .npy shape/);
    const c64 = npyBytes('<c8', [1, 1, 1, 1], new Float32Array(2));
    expect(() => parseNpyHeader(c64)).toThrow(/unsupported .npy dtype '<c8'/);
    const fortran = npyWithHeader(
      "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 1, 1), }",
      new Uint8Array(4),
    );
    expect(() => parseNpyHeader(fortran)).toThrow(/Fortran order/);
    expect(() => parseNpyHeader(good.subarray(0, 20))).toThrow(/truncated/);
  });
});

describe('parseNpyImages', () => {
  it('reads float32 NCHW as HWC images without labels', () => {
    // value = n * 100 + c * 10 + (y * 2 + x)
    const data = new Float32Array(2 * 3 * 2 * 2);
    for (let i = 0; i < data.length; i++) {
      const n = Math.floor(i / 12);
      const c = Math.floor(i / 4) % 3;
      data[i] = n * 100 + c * 10 + (i % 4);
    }
    const ds = parseNpyImages(npyBytes('<f4', [2, 3, 2, 2], data));
    expect([ds.count, ds.channels, ds.height, ds.width, ds.pixelType]).toEqual([
      2,
      3,
      2,
      2,
      'float32',
    ]);
    expect(ds.labels).toBeNull();
    const img = ds.getImage(1);
    expect(Array.from(img.data.subarray(0, 6))).toEqual([100, 110, 120, 101, 111, 121]);
  });

  it('reads uint8 NHWC as is', () => {
    const data = Uint8Array.from({ length: 3 * 2 * 4 * 3 }, (_, i) => i);
    const ds = parseNpyImages(npyBytes('|u1', [3, 2, 4, 3], data));
    expect([ds.count, ds.channels, ds.height, ds.width, ds.pixelType]).toEqual([
      3,
      3,
      2,
      4,
      'uint8',
    ]);
    expect(Array.from(ds.getImage(2).data.subarray(0, 4))).toEqual([48, 49, 50, 51]);
  });

  it('rejects wrong rank, missing channel dim and short data', () => {
    expect(() => parseNpyImages(npyBytes('<f4', [4, 4], new Float32Array(16)))).toThrow(
      /4 dimensions/,
    );
    expect(() => parseNpyImages(npyBytes('|u1', [1, 5, 5, 5], new Uint8Array(125)))).toThrow(
      /no channel dimension/,
    );
    const short = npyBytes('<f4', [2, 3, 2, 2], new Float32Array(20));
    expect(() => parseNpyImages(short)).toThrow(/truncated or the header is wrong/);
  });
});
