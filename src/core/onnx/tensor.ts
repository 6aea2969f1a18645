// Tensor payloads: decoding raw_data or the typed fields into typed arrays, and building
// tensors. raw_data is little-endian by the ONNX spec; every host we run on (x86, ARM in
// browsers and Node) is little-endian too, so typed-array views read it directly.
import { bfloat16ToNumber, float16ToNumber } from './float16.ts';
import {
  DATA_LOCATION_EXTERNAL,
  DataType,
  OnnxExternalDataError,
  OnnxFormatError,
  type TensorProto,
} from './types.ts';

export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

type ArrayCtor = { new (buffer: ArrayBuffer): TensorArray; BYTES_PER_ELEMENT: number };

// Storage type of each element type; FLOAT16/BFLOAT16 are stored as their uint16 bit patterns.
const STORAGE: Record<number, ArrayCtor> = {
  [DataType.FLOAT]: Float32Array,
  [DataType.UINT8]: Uint8Array,
  [DataType.INT8]: Int8Array,
  [DataType.UINT16]: Uint16Array,
  [DataType.INT16]: Int16Array,
  [DataType.INT32]: Int32Array,
  [DataType.INT64]: BigInt64Array,
  [DataType.BOOL]: Uint8Array,
  [DataType.FLOAT16]: Uint16Array,
  [DataType.DOUBLE]: Float64Array,
  [DataType.UINT32]: Uint32Array,
  [DataType.UINT64]: BigUint64Array,
  [DataType.BFLOAT16]: Uint16Array,
};

const DATA_TYPE_NAMES = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k]));

export function dataTypeName(dataType: number): string {
  return DATA_TYPE_NAMES[dataType] ?? `type ${dataType}`;
}

export function isFourBit(dataType: number): boolean {
  return dataType === DataType.INT4 || dataType === DataType.UINT4;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Bytes that `count` elements occupy in raw_data, or null for types we cannot decode. */
export function rawByteLength(dataType: number, count: number): number | null {
  if (isFourBit(dataType)) return Math.ceil(count / 2);
  const ctor = STORAGE[dataType];
  return ctor ? count * ctor.BYTES_PER_ELEMENT : null;
}

function where(t: TensorProto): string {
  return `tensor "${t.name ?? ''}"`;
}

/** Length of the typed field that holds this type's values, or null if none is set. */
function typedFieldLength(t: TensorProto, dataType: number): number | null {
  const field =
    dataType === DataType.FLOAT
      ? t.floatData
      : dataType === DataType.DOUBLE
        ? t.doubleData
        : dataType === DataType.INT64
          ? t.int64Data
          : dataType === DataType.UINT32 || dataType === DataType.UINT64
            ? t.uint64Data
            : t.int32Data;
  return field ? field.length : null;
}

/**
 * Throws OnnxExternalDataError for external data and OnnxFormatError when the stored data
 * does not match dims and type. Types we do not decode (strings, float8...) are not checked.
 */
export function checkTensor(t: TensorProto): void {
  if (t.dataLocation === DATA_LOCATION_EXTERNAL) {
    const location = t.externalData?.find((e) => e.key === 'location')?.value ?? '(unnamed)';
    throw new OnnxExternalDataError(t.name ?? '', location);
  }
  const dataType = t.dataType ?? 0;
  const dims = t.dims ?? [];
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new OnnxFormatError(`${where(t)} has invalid dims [${dims.join(', ')}]`);
  }
  const count = elementCount(dims);
  const rawBytes = rawByteLength(dataType, count);
  if (rawBytes === null) return;
  if (t.rawData) {
    if (t.rawData.length !== rawBytes) {
      throw new OnnxFormatError(
        `${where(t)} has ${t.rawData.length} bytes of raw_data, expected ${rawBytes} ` +
          `for ${dataTypeName(dataType)} [${dims.join(', ')}]`,
      );
    }
    return;
  }
  const stored = typedFieldLength(t, dataType) ?? 0;
  const expected = isFourBit(dataType) ? Math.ceil(count / 2) : count;
  if (stored !== expected) {
    throw new OnnxFormatError(
      `${where(t)} holds ${stored} values, expected ${expected} for ${dataTypeName(dataType)} [${dims.join(', ')}]`,
    );
  }
}

function unpackFourBit(packed: ArrayLike<number>, count: number, signed: boolean): TensorArray {
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (packed[i >> 1] >> ((i & 1) * 4)) & 0xf;
    out[i] = signed && nibble > 7 ? nibble - 16 : nibble;
  }
  return out;
}

function fromRaw(raw: Uint8Array, dataType: number, count: number): TensorArray {
  if (isFourBit(dataType)) return unpackFourBit(raw, count, dataType === DataType.INT4);
  // slice() copies to offset 0, so the view is aligned whatever raw's offset was.
  return new STORAGE[dataType](raw.slice().buffer as ArrayBuffer);
}

function fromTypedFields(t: TensorProto, dataType: number, count: number): TensorArray {
  if (isFourBit(dataType)) {
    return unpackFourBit(t.int32Data ?? [], count, dataType === DataType.INT4);
  }
  const ctor = STORAGE[dataType];
  const out = new ctor(new ArrayBuffer(count * ctor.BYTES_PER_ELEMENT));
  if (out instanceof BigInt64Array) out.set(t.int64Data ?? []);
  else if (out instanceof BigUint64Array) out.set(t.uint64Data ?? []);
  else if (dataType === DataType.FLOAT) out.set(t.floatData ?? []);
  else if (dataType === DataType.DOUBLE) out.set(t.doubleData ?? []);
  else if (dataType === DataType.UINT32) out.set(Array.from(t.uint64Data ?? [], Number));
  // int32_data also carries int8/uint8/int16/uint16/bool and float16/bfloat16 bit patterns.
  else out.set(t.int32Data ?? []);
  return out;
}

/**
 * The tensor's elements in their storage type: FLOAT -> Float32Array, INT64 -> BigInt64Array,
 * FLOAT16/BFLOAT16 -> Uint16Array of bit patterns, INT4 -> Int8Array, UINT4 -> Uint8Array.
 */
export function tensorToArray(t: TensorProto): TensorArray {
  checkTensor(t);
  const dataType = t.dataType ?? 0;
  if (rawByteLength(dataType, 0) === null) {
    throw new OnnxFormatError(
      `${where(t)}: element type ${dataTypeName(dataType)} is not supported`,
    );
  }
  const count = elementCount(t.dims ?? []);
  return t.rawData ? fromRaw(t.rawData, dataType, count) : fromTypedFields(t, dataType, count);
}

/** Any numeric tensor as float32 values (FLOAT16 decoded; integers converted; no dequantization). */
export function tensorToFloat32(t: TensorProto): Float32Array {
  const values = tensorToArray(t);
  const dataType = t.dataType ?? 0;
  if (values instanceof Float32Array) return values;
  if (dataType === DataType.FLOAT16)
    return Float32Array.from(values as Uint16Array, float16ToNumber);
  if (dataType === DataType.BFLOAT16)
    return Float32Array.from(values as Uint16Array, bfloat16ToNumber);
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    return Float32Array.from(values, Number);
  }
  return Float32Array.from(values as ArrayLike<number>);
}

/** Elements as plain numbers (int64 beyond 2^53 loses precision): for small shape tensors. */
export function tensorToNumbers(t: TensorProto): number[] {
  const values = tensorToArray(t);
  const dataType = t.dataType ?? 0;
  if (dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16)
    return Array.from(tensorToFloat32(t));
  return Array.from(values as ArrayLike<number | bigint>, Number);
}
