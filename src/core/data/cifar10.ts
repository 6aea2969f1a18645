// CIFAR-10 "binary version": records of 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B,
// each a row-major 32x32 plane). The official test_batch.bin and data_batch_*.bin use it.
import { type Dataset, DatasetFormatError, type DatasetImage } from './types.ts';

export const CIFAR10_CLASS_NAMES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

const SIDE = 32;
const PLANE_BYTES = SIDE * SIDE;
const RECORD_BYTES = 1 + 3 * PLANE_BYTES;

export function parseCifar10(bytes: Uint8Array): Dataset {
  if (bytes.length === 0) throw new DatasetFormatError('the CIFAR-10 file is empty');
  if (bytes.length % RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / RECORD_BYTES);
    throw new DatasetFormatError(
      `not a CIFAR-10 binary file: ${bytes.length} bytes is not a whole number of ` +
        `${RECORD_BYTES}-byte records (${whole} records and ${bytes.length % RECORD_BYTES} ` +
        'bytes left over; the file may be truncated)',
    );
  }
  const count = bytes.length / RECORD_BYTES;
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = bytes[i * RECORD_BYTES];
    if (label > 9) {
      throw new DatasetFormatError(
        `not a CIFAR-10 binary file: record ${i} has label ${label}, labels must be 0-9`,
      );
    }
    labels[i] = label;
  }
  return {
    count,
    width: SIDE,
    height: SIDE,
    channels: 3,
    pixelType: 'uint8',
    labels,
    classNames: [...CIFAR10_CLASS_NAMES],
    itemNames: null,
    getImage: (i) => cifarImage(bytes, i, count),
  };
}

/** Planar CHW record -> interleaved HWC, the layout every loader hands to the batcher. */
function cifarImage(bytes: Uint8Array, i: number, count: number): DatasetImage {
  if (i < 0 || i >= count) throw new RangeError(`image ${i} out of range 0..${count - 1}`);
  const base = i * RECORD_BYTES + 1;
  const data = new Uint8Array(3 * PLANE_BYTES);
  for (let p = 0; p < PLANE_BYTES; p++) {
    data[3 * p] = bytes[base + p];
    data[3 * p + 1] = bytes[base + PLANE_BYTES + p];
    data[3 * p + 2] = bytes[base + 2 * PLANE_BYTES + p];
  }
  return { width: SIDE, height: SIDE, channels: 3, data };
}
