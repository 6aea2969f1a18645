// protobufjs <-> plain objects (types.ts), driven by the schema's reflection so that every
// declared field, nested message and oneof is converted without hand-written per-message code.
import protobuf from 'protobufjs';
import { onnxProtoText } from './onnxSchema.ts';

const root = protobuf.parse(onnxProtoText, { keepCase: false }).root;
export const modelType = root.lookupType('onnx.ModelProto');
// int64 values come out of protobufjs as {low, high} 32-bit halves (long.js objects) and go
// back in the same shape; converting through BigInt here keeps them exact without relying on
// protobufjs having found long.js (util.Long) in the current bundle.
type LongBits = { low: number; high: number };

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

// Tensor payload fields kept exact as BigInt typed arrays (see types.ts, int64 choice).
const BIGINT_FIELDS: Record<string, 'signed' | 'unsigned'> = {
  'TensorProto.int64Data': 'signed',
  'TensorProto.uint64Data': 'unsigned',
};

type Plain = Record<string, unknown>;

function isLong(field: protobuf.Field): boolean {
  return LONG_TYPES.has(field.type);
}

function longToBigInt(v: number | LongBits, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(v);
  const bits = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

function longToNumber(v: number | LongBits, unsigned: boolean): number {
  if (typeof v === 'number') return v;
  // Fast path for the common small non-negative values (dims, attributes, versions).
  if (v.high === 0) return v.low >>> 0;
  return Number(longToBigInt(v, unsigned));
}

function fieldKey(type: protobuf.Type, field: protobuf.Field): string {
  return `${type.name}.${field.name}`;
}

function scalarToPlain(field: protobuf.Field, v: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return toPlain(field.resolvedType, v as Plain);
  if (isLong(field)) return longToNumber(v as LongBits, field.type === 'uint64');
  // Node's protobufjs hands out Buffer views into the input: copy into a standalone Uint8Array.
  if (field.type === 'bytes') return new Uint8Array(v as Uint8Array);
  return v;
}

/** Decoded protobufjs message -> plain object with only the fields present on the wire. */
export function toPlain(type: protobuf.Type, msg: Plain): Plain {
  const out: Plain = {};
  for (const field of type.fieldsArray) {
    if (!Object.hasOwn(msg, field.name)) continue;
    const value = msg[field.name];
    // Message constructors pre-fill repeated fields with []; the wire cannot tell those apart.
    if (value == null || (field.repeated && (value as unknown[]).length === 0)) continue;
    const bigintKind = BIGINT_FIELDS[fieldKey(type, field)];
    if (bigintKind) {
      const unsigned = bigintKind === 'unsigned';
      const items = (value as LongBits[]).map((v) => longToBigInt(v, unsigned));
      out[field.name] = unsigned ? BigUint64Array.from(items) : BigInt64Array.from(items);
    } else if (field.repeated) {
      out[field.name] = (value as unknown[]).map((v) => scalarToPlain(field, v));
    } else {
      out[field.name] = scalarToPlain(field, value);
    }
  }
  return out;
}

/** number | bigint -> what protobufjs' writer encodes exactly; ±2^63 clamp to INT64 limits. */
function toLong(v: number | bigint, unsigned: boolean): number | LongBits {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  let big = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  if (!unsigned) big = big > INT64_MAX ? INT64_MAX : big < INT64_MIN ? INT64_MIN : big;
  const bits = BigInt.asUintN(64, big);
  return { low: Number(bits & 0xffffffffn), high: Number(bits >> 32n) };
}

function scalarFromPlain(field: protobuf.Field, v: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return fromPlain(field.resolvedType, v as Plain);
  if (isLong(field)) return toLong(v as number | bigint, field.type === 'uint64');
  return v;
}

/** Plain object -> object protobufjs' encoder accepts (Longs where a number is not exact). */
export function fromPlain(type: protobuf.Type, obj: Plain): Plain {
  const out: Plain = {};
  for (const field of type.fieldsArray) {
    const value = obj[field.name];
    if (value == null) continue;
    if (field.repeated) {
      out[field.name] = Array.from(value as ArrayLike<unknown>, (v) => scalarFromPlain(field, v));
    } else {
      out[field.name] = scalarFromPlain(field, value);
    }
  }
  return out;
}

export function decodeModelMessage(bytes: Uint8Array): Plain {
  return modelType.decode(bytes) as unknown as Plain;
}

export function encodeModelMessage(obj: Plain): Uint8Array {
  return modelType.encode(fromPlain(modelType, obj)).finish();
}
