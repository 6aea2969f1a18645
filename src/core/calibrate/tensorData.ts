// Just enough TensorProto payload handling for calibration: float32 initializers (scales,
// biases, float weights) and scalar zero points replicated per channel.
import { DataType, type TensorProto } from '../onnx/types.ts';

/** Float32 values of a FLOAT tensor (raw_data or float_data), as a fresh array. */
export function floatValues(tensor: TensorProto): Float32Array {
  if (tensor.dataType !== DataType.FLOAT) {
    throw new Error(`tensor '${tensor.name}' is data type ${tensor.dataType}, expected float32`);
  }
  if (tensor.rawData && tensor.rawData.length > 0) {
    const raw = tensor.rawData;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) =>
      view.getFloat32(4 * i, true),
    );
  }
  return Float32Array.from(tensor.floatData ?? []);
}

/** Replaces a FLOAT tensor's payload with little-endian raw_data. */
export function setFloatValues(tensor: TensorProto, values: Float32Array, dims: number[]): void {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  tensor.dims = [...dims];
  tensor.rawData = raw;
  delete tensor.floatData;
}

const FOUR_BIT: ReadonlySet<number> = new Set([DataType.INT4, DataType.UINT4]);
const EIGHT_BIT: ReadonlySet<number> = new Set([DataType.INT8, DataType.UINT8]);

/** A one-element 4- or 8-bit integer tensor (a zero point) repeated `count` times, 1-D. */
export function replicateScalar(tensor: TensorProto, count: number): void {
  const type = tensor.dataType ?? 0;
  if (!FOUR_BIT.has(type) && !EIGHT_BIT.has(type)) {
    throw new Error(`zero point '${tensor.name}' has unsupported data type ${type}`);
  }
  const byte = tensor.rawData?.length ? tensor.rawData[0] : (tensor.int32Data?.[0] ?? 0) & 0xff;
  if (FOUR_BIT.has(type)) {
    const nibble = byte & 0x0f;
    tensor.rawData = new Uint8Array(Math.ceil(count / 2)).fill(nibble | (nibble << 4));
  } else {
    tensor.rawData = new Uint8Array(count).fill(byte);
  }
  delete tensor.int32Data;
  tensor.dims = [count];
}
