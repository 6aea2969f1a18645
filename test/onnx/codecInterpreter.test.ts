// The ONNX codec interprets the schema instead of running protobufjs' generated (Function())
// codecs, so that the app works under a CSP without 'unsafe-eval'. Here the interpreter is
// checked against protobufjs' own generated codecs (allowed in Node): the same bytes out, the
// same messages in, on well-formed, oddly encoded and random inputs.
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  decodeModelMessage,
  encodeModelMessage,
  fromPlain,
  modelType,
  toPlain,
} from '../../src/core/onnx/codec.ts';
import { onnxProtoText } from '../../src/core/onnx/onnxSchema.ts';
import { describeShared, readShared } from '../support/shared.ts';
import { richModel } from './codecFixture.ts';

type Plain = Record<string, unknown>;

// A separate root, so that its generated codecs never touch the app's types. Resolved up front:
// fromPlain follows resolvedType, which protobufjs otherwise fills in only at a type's first use.
const reference = protobuf.parse(onnxProtoText).root.resolveAll().lookupType('onnx.ModelProto');

function referenceEncode(obj: Plain): Uint8Array {
  return reference.encode(fromPlain(reference, obj)).finish();
}

function referenceDecode(bytes: Uint8Array): Plain {
  return toPlain(reference, reference.decode(bytes) as unknown as Plain);
}

function decode(bytes: Uint8Array): Plain {
  return toPlain(modelType, decodeModelMessage(bytes));
}

/** Both decoders agree: the same message, or both refuse. */
function expectSameDecode(bytes: Uint8Array): void {
  let expected: Plain | Error;
  try {
    expected = referenceDecode(bytes);
  } catch (err) {
    expected = err as Error;
  }
  if (expected instanceof Error) {
    expect(() => decode(bytes)).toThrow();
  } else {
    expect(decode(bytes)).toEqual(expected);
  }
}

/** Deterministic bytes (xorshift32). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

describe('ONNX wire interpreter', () => {
  const model = richModel() as unknown as Plain;

  it('writes the same bytes as protobufjs, for every kind of field', () => {
    const bytes = encodeModelMessage(model);
    expect(Buffer.from(bytes).equals(Buffer.from(referenceEncode(model)))).toBe(true);
  });

  it('reads back what it wrote, and what protobufjs reads', () => {
    const bytes = encodeModelMessage(model);
    const back = decode(bytes);
    expect(back).toEqual(referenceDecode(bytes));
    const graph = back.graph as { initializer: Plain[] };
    expect(graph.initializer[1].int64Data).toEqual(richModel().graph?.initializer?.[1].int64Data);
    expect(graph.initializer[2].uint64Data).toEqual(richModel().graph?.initializer?.[2].uint64Data);
  });

  it('accepts packed fields written unpacked (and the reverse)', () => {
    const schema = onnxProtoText.replaceAll(' [packed = true]', '');
    const unpackedRoot = protobuf.parse(schema).root.resolveAll();
    const unpacked = unpackedRoot.lookupType('onnx.ModelProto');
    const bytes = unpacked.encode(fromPlain(unpacked, model)).finish();
    expect(Buffer.from(bytes).equals(Buffer.from(encodeModelMessage(model)))).toBe(false);
    expect(decode(bytes)).toEqual(decode(encodeModelMessage(model)));
    expectSameDecode(bytes);
  });

  it('skips unknown fields and wrong wire types, merges repeated messages, keeps the last oneof', () => {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 0).int64(9); // ir_version
    w.uint32((99 << 3) | 2).string('unknown field'); // skipped
    w.uint32((2 << 3) | 0).uint32(5); // producer_name with a varint wire type: skipped
    // graph twice: the second merges into the first
    w.uint32((7 << 3) | 2)
      .fork()
      .uint32((2 << 3) | 2)
      .string('first')
      .ldelim();
    w.uint32((7 << 3) | 2)
      .fork()
      .uint32((10 << 3) | 2)
      .string('doc')
      .ldelim();
    // a value_info whose TypeProto sets tensor_type, then sequence_type (oneof: the last wins)
    const typeProto = protobuf.Writer.create();
    typeProto
      .uint32((1 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 0)
      .int32(1)
      .ldelim();
    typeProto
      .uint32((4 << 3) | 2)
      .fork()
      .ldelim();
    const valueInfo = protobuf.Writer.create();
    valueInfo
      .uint32((1 << 3) | 2)
      .string('v')
      .uint32((2 << 3) | 2)
      .bytes(typeProto.finish());
    w.uint32((7 << 3) | 2)
      .fork()
      .uint32((13 << 3) | 2)
      .bytes(valueInfo.finish())
      .ldelim();
    // an attribute of an AttributeType the enum does not list (closed enum: dropped)
    const attr = protobuf.Writer.create();
    attr
      .uint32((1 << 3) | 2)
      .string('a')
      .uint32((20 << 3) | 0)
      .int32(77);
    const node = protobuf.Writer.create();
    node
      .uint32((4 << 3) | 2)
      .string('Relu')
      .uint32((5 << 3) | 2)
      .bytes(attr.finish());
    w.uint32((7 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .bytes(node.finish())
      .ldelim();
    const bytes = w.finish();

    const decoded = decode(bytes) as { irVersion: number; graph: Plain; producerName?: string };
    expect(decoded.irVersion).toBe(9);
    expect(decoded.producerName).toBeUndefined();
    expect(decoded.graph.name).toBe('first');
    expect(decoded.graph.docString).toBe('doc');
    const type = (decoded.graph.valueInfo as Plain[])[0].type as Plain;
    expect(Object.keys(type)).toEqual(['sequenceType']);
    const attribute = ((decoded.graph.node as Plain[])[0].attribute as Plain[])[0];
    expect(attribute).toEqual({ name: 'a' });
    expectSameDecode(bytes);
  });

  it('refuses what protobufjs refuses: every truncation, random bytes, deep nesting', () => {
    const bytes = encodeModelMessage(model);
    for (let cut = 1; cut < bytes.length; cut += 3) expectSameDecode(bytes.subarray(0, cut));
    for (const seed of [1, 7, 42, 1234, 99991, 31337]) {
      for (const length of [1, 5, 64, 1000]) expectSameDecode(randomBytes(length, seed));
    }
    // 150 nested graph attributes: past protobufjs' recursion limit of 100.
    let inner: Uint8Array = new Uint8Array();
    for (let i = 0; i < 150; i++) {
      const attr = protobuf.Writer.create()
        .uint32((6 << 3) | 2)
        .bytes(inner)
        .finish();
      const node = protobuf.Writer.create()
        .uint32((5 << 3) | 2)
        .bytes(attr)
        .finish();
      inner = protobuf.Writer.create()
        .uint32((1 << 3) | 2)
        .bytes(node)
        .finish();
    }
    const deep = protobuf.Writer.create()
      .uint32((7 << 3) | 2)
      .bytes(inner)
      .finish();
    expect(() => decode(deep)).toThrow(/max depth/);
    expect(() => referenceDecode(deep)).toThrow(/max depth/);
  });
});

/** rawData as one Buffer per tensor: deep-equal over megabytes of Uint8Array is very slow. */
function rawDataApart(model: Plain): { model: Plain; raw: Buffer[] } {
  const graph = model.graph as { initializer?: Plain[] };
  const raw = (graph.initializer ?? []).map((t) => Buffer.from(t.rawData as Uint8Array));
  const initializer = (graph.initializer ?? []).map(({ rawData, ...rest }) => rest);
  return { model: { ...model, graph: { ...graph, initializer } }, raw };
}

describeShared('ONNX wire interpreter on the shared ResNets', () => {
  for (const file of ['models/resnet20_cifar10.onnx', 'models/resnet56_cifar10.onnx']) {
    it(`${file}: the same message as protobufjs, and the same bytes written back`, () => {
      const bytes = readShared(file);
      const ours = decode(bytes);
      const theirs = rawDataApart(referenceDecode(bytes));
      const mine = rawDataApart(ours);
      expect(mine.model).toEqual(theirs.model);
      expect(mine.raw.every((b, i) => b.equals(theirs.raw[i]))).toBe(true);
      expect(Buffer.from(encodeModelMessage(ours)).equals(Buffer.from(referenceEncode(ours)))).toBe(
        true,
      );
    });
  }
});
