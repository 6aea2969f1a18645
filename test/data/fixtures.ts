// Builders for small, exact input files: .npy headers, PNG/JPEG images, zips.
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';

export function npyBytes(
  descr: string,
  shape: number[],
  data: Uint8Array | Float32Array,
  version: 1 | 2 = 1,
): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  return npyWithHeader(
    dict,
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    version,
  );
}

/** A .npy with an arbitrary header text, padded to 64 bytes with a newline like numpy does. */
export function npyWithHeader(dict: string, payload: Uint8Array, version: 1 | 2 = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const width = Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1;
  const padded = `${dict.padEnd(width, ' ')}\n`;
  const out = new Uint8Array(prefix + padded.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), prefix);
  out.set(payload, prefix + padded.length);
  return out;
}

/** RGB HWC pixels -> PNG bytes. */
export function pngBytes(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const png = new pngjs.PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    png.data[4 * p] = rgb[3 * p];
    png.data[4 * p + 1] = rgb[3 * p + 1];
    png.data[4 * p + 2] = rgb[3 * p + 2];
    png.data[4 * p + 3] = 255;
  }
  return new Uint8Array(pngjs.PNG.sync.write(png));
}

export function jpegBytes(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
    rgba[4 * p + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width, height, data: rgba }, 95).data);
}

export function zipBytes(files: Record<string, Uint8Array>): Uint8Array {
  return zipSync(files, { level: 0 });
}

/** A solid-colour RGB image. */
export function solid(width: number, height: number, r: number, g: number, b: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) rgb.set([r, g, b], 3 * p);
  return rgb;
}
