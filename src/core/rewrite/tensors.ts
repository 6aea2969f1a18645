// The few tensor kinds the rewrite writes, over the ONNX module's makeTensor (raw_data,
// INT4 packed two a byte, low nibble first), and their measured size in the file.
import { makeTensor } from '../onnx/builders.ts';
import { elementCount, rawByteLength, tensorToFloat32 } from '../onnx/tensor.ts';
import { DataType, type TensorProto } from '../onnx/types.ts';
import { RewriteError } from './types.ts';

export function floatTensor(
  name: string,
  dims: readonly number[],
  data: Float32Array,
): TensorProto {
  return makeTensor(name, DataType.FLOAT, dims, data);
}

export function int64Tensor(
  name: string,
  dims: readonly number[],
  data: readonly number[],
): TensorProto {
  return makeTensor(name, DataType.INT64, dims, data);
}

/** Container type for b-bit codes: INT4 up to 4 bits, INT8 up to 8. */
export function codeDataType(bits: number): number {
  if (bits >= 2 && bits <= 4) return DataType.INT4;
  if (bits >= 2 && bits <= 8) return DataType.INT8;
  throw new RewriteError(`${bits}-bit weight codes have no integer container (2 to 8 bits)`);
}

export function codesTensor(
  name: string,
  dims: readonly number[],
  codes: Int8Array,
  bits: number,
): TensorProto {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] < lo || codes[i] > hi) {
      throw new RewriteError(`${name}: code ${codes[i]} at ${i} is off the ${bits}-bit grid`);
    }
  }
  return makeTensor(name, codeDataType(bits), dims, codes);
}

/** Bytes the tensor's payload occupies in the file (raw_data, or the typed field's elements). */
export function tensorPayloadBytes(t: TensorProto): number {
  if (t.rawData) return t.rawData.length;
  const count = elementCount(t.dims ?? []);
  return rawByteLength(t.dataType ?? DataType.FLOAT, count) ?? 0;
}

/** float32 values of a weight initializer (float16 and others decoded). */
export function readFloat32(t: TensorProto): Float32Array {
  return tensorToFloat32(t);
}
