// protobufjs <-> plain objects (types.ts), driven by the schema's reflection so that every
// declared field, nested message and oneof is converted without hand-written per-message code.
// The wire format is read and written by a small interpreter over protobufjs' Reader/Writer
// (end of this file), not by Type.encode/decode: those compile code with Function(), which the
// app's Content-Security-Policy forbids (no 'unsafe-eval'; see deploy/securityHeaders.ts).
import protobuf from 'protobufjs';
import { onnxProtoText } from './onnxSchema.ts';

const root = protobuf.parse(onnxProtoText, { keepCase: false }).root.resolveAll();
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

/** Bytes -> the message as protobufjs' decoder would give it (Longs, views), for toPlain. */
export function decodeModelMessage(bytes: Uint8Array): Plain {
  return decodeMessage(modelType, bytes);
}

export function encodeModelMessage(obj: Plain): Uint8Array {
  return encodeMessage(modelType, fromPlain(modelType, obj));
}

// ---- The wire interpreter: what protobufjs' generated decoder/encoder do, for proto2 schemas
// without maps or groups (onnx.proto). Same output: messages hold only the fields present on the
// wire, int64s as Longs, bytes as views; fields written in id order, packed where declared.

type Method = (...args: unknown[]) => unknown;
type Methods = Record<string, Method>;

interface FieldPlan {
  name: string;
  /** Reader/Writer method: the scalar type, 'int32' for enums; unused for messages. */
  method: string;
  message: protobuf.Type | null;
  repeated: boolean;
  /** Written packed (declared [packed = true]). */
  packed: boolean;
  /** Accepted packed on read (every numeric scalar, whatever the declaration). */
  packable: boolean;
  /** Wire type of one unpacked value. */
  wire: number;
  tag: number;
  /** proto2 enums are closed: a value they do not list is dropped, as protobufjs does. */
  closedEnum: protobuf.Enum | null;
  /** Other members of its oneof, cleared when this one is read. */
  oneofSiblings: string[];
}

interface TypePlan {
  byId: Map<number, FieldPlan>;
  /** Fields by id: "known fields should be written sequentially by field number". */
  ordered: FieldPlan[];
}

const plans = new WeakMap<protobuf.Type, TypePlan>();
const basicWire = protobuf.types.basic as Record<string, number | undefined>;
const packedWire = protobuf.types.packed as Record<string, number | undefined>;

function fieldPlan(field: protobuf.Field): FieldPlan {
  if (field.map) throw new Error(`map field ${field.fullName} is not supported`);
  const resolved = field.resolvedType;
  const message = resolved instanceof protobuf.Type ? resolved : null;
  const closedEnum = resolved instanceof protobuf.Enum ? resolved : null;
  const method = closedEnum ? 'int32' : field.type;
  const wire = message ? 2 : basicWire[method];
  if (wire === undefined) throw new Error(`field ${field.fullName} has unknown type ${method}`);
  const packable = !message && packedWire[method] !== undefined;
  return {
    name: field.name,
    method,
    message,
    repeated: field.repeated,
    packed: field.repeated && field.packed && packable,
    packable,
    wire,
    tag: ((field.id << 3) | wire) >>> 0,
    closedEnum,
    oneofSiblings: field.partOf ? field.partOf.oneof.filter((n) => n !== field.name) : [],
  };
}

function planOf(type: protobuf.Type): TypePlan {
  let plan = plans.get(type);
  if (!plan) {
    const fields = type.fieldsArray.map((f) => f.resolve());
    const byId = new Map(fields.map((f) => [f.id, fieldPlan(f)] as const));
    const ordered = [...fields].sort((a, b) => a.id - b.id).map((f) => byId.get(f.id)!);
    plan = { byId, ordered };
    plans.set(type, plan);
  }
  return plan;
}

function isKnown(f: FieldPlan, v: unknown): boolean {
  return !f.closedEnum || f.closedEnum.valuesById[v as number] !== undefined;
}

function readEmbedded(type: protobuf.Type, r: protobuf.Reader, depth: number, into?: Plain) {
  const end = r.size() + r.pos;
  if (end > r.len) throw new RangeError('index out of range');
  const outer = r.len;
  r.len = end;
  const msg = readFields(type, r, depth + 1, into ?? {});
  if (r.pos !== end) throw new RangeError('index out of range');
  r.len = outer;
  return msg;
}

/** Reads one occurrence of a field; false when its wire type is not the field's (skip it). */
function readField(f: FieldPlan, r: protobuf.Reader, wire: number, depth: number, msg: Plain) {
  const reader = r as unknown as Methods;
  if (f.repeated) {
    if (wire === 2 && f.packable) {
      const values = reader[`${f.method}s`]() as unknown[];
      const list = (msg[f.name] ??= []) as unknown[];
      for (const v of values) if (isKnown(f, v)) list.push(v);
      return true;
    }
    if (wire !== f.wire) return false;
    const v = f.message ? readEmbedded(f.message, r, depth) : reader[f.method]();
    if (isKnown(f, v)) ((msg[f.name] ??= []) as unknown[]).push(v);
    return true;
  }
  if (wire !== f.wire) return false;
  // A message field seen twice merges, as protobuf requires.
  const v = f.message
    ? readEmbedded(f.message, r, depth, msg[f.name] as Plain | undefined)
    : reader[f.method]();
  if (!isKnown(f, v)) return true;
  msg[f.name] = v;
  for (const name of f.oneofSiblings) delete msg[name];
  return true;
}

function readFields(type: protobuf.Type, r: protobuf.Reader, depth: number, msg: Plain): Plain {
  if (depth > protobuf.util.recursionLimit) throw new Error('max depth exceeded');
  const { byId } = planOf(type);
  while (r.pos < r.len) {
    const tag = r.tag();
    const id = tag >>> 3;
    const f = byId.get(id);
    if (!f || !readField(f, r, tag & 7, depth, msg)) r.skipType(tag & 7, depth, id);
  }
  return msg;
}

/** Decodes `bytes` as one `type` message, interpreting the reflected schema. */
export function decodeMessage(type: protobuf.Type, bytes: Uint8Array): Plain {
  return readFields(type, protobuf.Reader.create(bytes), 0, {});
}

function writeValue(f: FieldPlan, w: protobuf.Writer, v: unknown, depth: number): void {
  w.uint32(f.tag);
  if (f.message) {
    writeFields(f.message, w.fork(), v as Plain, depth + 1).ldelim();
  } else {
    (w as unknown as Methods)[f.method](v);
  }
}

function writeFields(type: protobuf.Type, w: protobuf.Writer, msg: Plain, depth: number) {
  if (depth > protobuf.util.recursionLimit) throw new Error('max depth exceeded');
  for (const f of planOf(type).ordered) {
    const v = msg[f.name];
    if (v == null || !Object.hasOwn(msg, f.name)) continue;
    if (!f.repeated) {
      writeValue(f, w, v, depth);
    } else if ((v as unknown[]).length === 0) {
      // nothing on the wire
    } else if (f.packed) {
      const packedTag = ((f.tag >>> 3) << 3) | 2;
      (w.uint32(packedTag >>> 0) as unknown as Methods)[`${f.method}s`](v);
    } else {
      for (const item of v as unknown[]) writeValue(f, w, item, depth);
    }
  }
  return w;
}

/** Encodes a message shaped like protobufjs' (fromPlain's output) as `type`. */
export function encodeMessage(type: protobuf.Type, msg: Plain): Uint8Array {
  return writeFields(type, protobuf.Writer.create(), msg, 0).finish();
}
