// NumPy .npy (format v1/v2/v3): magic "\x93NUMPY", version bytes, a little-endian header length
// (u16 in v1, u32 in v2+), then a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (100, 3, 32, 32), }
import { type Dataset, DatasetFormatError, type DatasetImage } from './types.ts';

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the array data. */
  dataOffset: number;
}

/** The element types read; images take float32 and uint8 only (parseNpyImages). */
export type NpyDtype = 'float32' | 'uint8' | 'float64' | 'int64' | 'int32' | 'int8' | 'bool';

const DTYPES: Record<string, NpyDtype> = {
  '<f4': 'float32',
  '|u1': 'uint8',
  '<u1': 'uint8',
  u1: 'uint8',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|i1': 'int8',
  '|b1': 'bool',
};

const ELEMENT_BYTES: Record<NpyDtype, number> = {
  float32: 4,
  uint8: 1,
  float64: 8,
  int64: 8,
  int32: 4,
  int8: 1,
  bool: 1,
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DatasetFormatError('not a .npy file: it does not start with "\\x93NUMPY"');
  }
  const major = bytes[6];
  if (major < 1 || major > 3) throw new DatasetFormatError(`unsupported .npy version ${major}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new DatasetFormatError('.npy header is truncated');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (start + headerLength > bytes.length) throw new DatasetFormatError('.npy header is truncated');
  const text = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLength));
  return { ...parseHeaderDict(text), dataOffset: start + headerLength };
}

function parseHeaderDict(text: string): Omit<NpyHeader, 'dataOffset'> {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DatasetFormatError(
      `malformed .npy header (needs 'descr', 'fortran_order' and 'shape'): ${text.trim()}`,
    );
  }
  if (fortran === 'True') {
    throw new DatasetFormatError('.npy in Fortran order is not supported: save a C-order array');
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+$/.test(s)) throw new DatasetFormatError(`malformed .npy shape (${shapeText})`);
      return Number(s);
    });
  return { dtype: npyDtype(descr), shape };
}

function npyDtype(descr: string): NpyDtype {
  const dtype = DTYPES[descr];
  if (dtype) return dtype;
  throw new DatasetFormatError(
    `unsupported .npy dtype '${descr}': use little-endian float32 ('<f4'), float64, int64, ` +
      'int32, int8, uint8 or bool',
  );
}

/** One .npy array, as read: float64 stays float64 here (the caller converts for its input). */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;
}

/** Any .npy array of the supported dtypes (C order, little-endian), its size checked. */
export function parseNpyArray(bytes: Uint8Array): NpyArray {
  const { dtype, shape, dataOffset } = parseNpyHeader(bytes);
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * ELEMENT_BYTES[dtype];
  if (bytes.length - dataOffset !== expected) {
    throw new DatasetFormatError(
      `.npy data is ${bytes.length - dataOffset} bytes but shape (${shape.join(', ')}) of ` +
        `${dtype} needs ${expected}: the file is truncated or the header is wrong`,
    );
  }
  // slice() copies, which also aligns the data for the typed array.
  const raw = bytes.slice(dataOffset).buffer;
  const data =
    dtype === 'float32'
      ? new Float32Array(raw)
      : dtype === 'float64'
        ? new Float64Array(raw)
        : dtype === 'int64'
          ? new BigInt64Array(raw)
          : dtype === 'int32'
            ? new Int32Array(raw)
            : dtype === 'int8'
              ? new Int8Array(raw)
              : new Uint8Array(raw);
  return { dtype, shape, data };
}

/** Images as [N,C,H,W] or [N,H,W,C] (C = 1 or 3), without labels: for agreement-only runs. */
export function parseNpyImages(bytes: Uint8Array): Dataset {
  const header = parseNpyHeader(bytes);
  const { shape, dtype, dataOffset } = header;
  if (dtype !== 'float32' && dtype !== 'uint8') {
    throw new DatasetFormatError(
      `.npy images must be float32 or uint8, got ${dtype} (other arrays feed a model input ` +
        'by name: see the .npz/zip of .npy inputs)',
    );
  }
  if (shape.length !== 4) {
    throw new DatasetFormatError(
      `.npy inputs must have 4 dimensions [N,C,H,W] or [N,H,W,C], got shape (${shape.join(', ')})`,
    );
  }
  const [n, d1, d2, d3] = shape;
  const nchw = isChannelCount(d1) && !isChannelCount(d3);
  if (!nchw && !isChannelCount(d3)) {
    throw new DatasetFormatError(
      `.npy shape (${shape.join(', ')}) has no channel dimension of 1 or 3 at position 1 or 3`,
    );
  }
  const [channels, height, width] = nchw ? [d1, d2, d3] : [d3, d1, d2];
  const elementBytes = dtype === 'float32' ? 4 : 1;
  const expected = n * channels * height * width * elementBytes;
  if (bytes.length - dataOffset !== expected) {
    throw new DatasetFormatError(
      `.npy data is ${bytes.length - dataOffset} bytes but shape (${shape.join(', ')}) of ` +
        `${dtype} needs ${expected}: the file is truncated or the header is wrong`,
    );
  }
  // slice() copies, which also fixes alignment: the data offset need not be a multiple of 4.
  const raw = bytes.slice(dataOffset);
  const data = dtype === 'float32' ? new Float32Array(raw.buffer) : raw;
  const geometry = { width, height, channels };
  return {
    count: n,
    ...geometry,
    pixelType: dtype,
    labels: null,
    classNames: null,
    itemNames: null,
    getImage: (i) => npyImage(data, i, n, geometry, nchw),
  };
}

function isChannelCount(d: number): boolean {
  return d === 1 || d === 3;
}

function npyImage(
  data: Uint8Array | Float32Array,
  i: number,
  count: number,
  geometry: { width: number; height: number; channels: number },
  nchw: boolean,
): DatasetImage {
  if (i < 0 || i >= count) throw new RangeError(`image ${i} out of range 0..${count - 1}`);
  const { width, height, channels } = geometry;
  const size = width * height * channels;
  const src = data.subarray(i * size, (i + 1) * size);
  if (!nchw) return { ...geometry, data: src };
  const out = data instanceof Float32Array ? new Float32Array(size) : new Uint8Array(size);
  const plane = width * height;
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) out[p * channels + c] = src[c * plane + p];
  }
  return { ...geometry, data: out };
}
