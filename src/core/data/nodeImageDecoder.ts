// ImageDecoder for Node (CLI, tests): pure-JS decoders, no native code, no DOM.
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import type { DecodedImage, ImageDecoder } from './types.ts';

export const nodeImageDecoder: ImageDecoder = async (bytes, mime) => {
  if (mime === 'image/png') {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkInterlacedInflation(buffer);
    const png = pngjs.PNG.sync.read(buffer);
    return toDecoded(png.width, png.height, png.data);
  }
  // maxResolutionInMP bounds memory on a hostile or mislabelled file.
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100 });
  return toDecoded(img.width, img.height, img.data);
};

function toDecoded(width: number, height: number, data: Uint8Array): DecodedImage {
  return {
    width,
    height,
    rgba: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength),
  };
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
// Adam7: [x0, y0, dx, dy] of the seven passes.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Bytes of filtered scanlines an interlaced image of this header inflates to. */
function interlacedBytes(width: number, height: number, bitsPerPixel: number): number {
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.max(0, Math.ceil((width - x0) / dx));
    const h = Math.max(0, Math.ceil((height - y0) / dy));
    if (w > 0 && h > 0) total += h * (1 + Math.ceil((w * bitsPerPixel) / 8));
  }
  return total;
}

/**
 * pngjs bounds the inflation of a plain PNG's pixel data by the size its header implies, but
 * inflates an interlaced one without a bound: a few kilobytes of IDAT could become gigabytes.
 * Inflate it here first, stopping at the size the header implies.
 */
function checkInterlacedInflation(png: Buffer): void {
  if (png.length < 33 || png[28] !== 1) return; // IHDR interlace method (pngjs checks the rest)
  const bitsPerPixel = (CHANNELS[png[25]] ?? 4) * png[24];
  const limit = interlacedBytes(png.readUInt32BE(16), png.readUInt32BE(20), bitsPerPixel);
  const idat: Buffer[] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') {
      idat.push(png.subarray(at + 8, at + 8 + length));
    }
    at += 12 + length;
  }
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: Math.max(1, limit) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`its pixel data inflates past the ${limit} bytes its size implies`);
    }
    // Other zlib errors: pngjs reports them in its own words.
  }
}
