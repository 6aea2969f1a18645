// Builders for tensors, nodes, attributes and value infos, in the spirit of onnx.helper.
import { numberToFloat16 } from './float16.ts';
import { dataTypeName, elementCount } from './tensor.ts';
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type GraphProto,
  type NodeProto,
  type OnnxModel,
  type TensorProto,
  type ValueInfoProto,
} from './types.ts';

export type TensorData = ArrayLike<number> | ArrayLike<bigint>;

const utf8 = new TextEncoder();

function packFourBit(values: ArrayLike<number>, signed: boolean): Uint8Array {
  const [lo, hi] = signed ? [-8, 7] : [0, 15];
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new RangeError(`value ${v} at ${i} is outside the ${signed ? 'INT4' : 'UINT4'} range`);
    }
    // Low nibble first: element 2k is bits 0-3 of byte k.
    out[i >> 1] |= (v & 0xf) << ((i & 1) * 4);
  }
  return out;
}

function numbers(data: TensorData): ArrayLike<number> {
  return typeof data[0] === 'bigint'
    ? Array.from(data as ArrayLike<bigint>, Number)
    : (data as ArrayLike<number>);
}

function toRawBytes(dataType: number, data: TensorData): Uint8Array {
  const view = (a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) =>
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  switch (dataType) {
    case DataType.FLOAT:
      return view(Float32Array.from(numbers(data)));
    case DataType.DOUBLE:
      return view(Float64Array.from(numbers(data)));
    case DataType.INT8:
      return view(Int8Array.from(numbers(data)));
    case DataType.UINT8:
      return Uint8Array.from(numbers(data));
    case DataType.BOOL:
      return Uint8Array.from(numbers(data), (v) => (v ? 1 : 0));
    case DataType.INT16:
      return view(Int16Array.from(numbers(data)));
    case DataType.UINT16:
      return view(Uint16Array.from(numbers(data)));
    case DataType.INT32:
      return view(Int32Array.from(numbers(data)));
    case DataType.UINT32:
      return view(Uint32Array.from(numbers(data)));
    case DataType.FLOAT16:
      return view(Uint16Array.from(numbers(data), numberToFloat16));
    case DataType.INT64:
      return view(BigInt64Array.from(data as ArrayLike<number | bigint>, (v) => BigInt(v)));
    case DataType.UINT64:
      return view(BigUint64Array.from(data as ArrayLike<number | bigint>, (v) => BigInt(v)));
    case DataType.INT4:
    case DataType.UINT4:
      return packFourBit(numbers(data), dataType === DataType.INT4);
    default:
      throw new Error(`makeTensor: element type ${dataTypeName(dataType)} is not supported`);
  }
}

/**
 * A tensor with its values in raw_data. `data` holds element values (not bit patterns):
 * FLOAT16 values are rounded to half precision, INT4/UINT4 are packed two per byte.
 */
export function makeTensor(
  name: string,
  dataType: number,
  dims: readonly number[],
  data: TensorData,
): TensorProto {
  const count = elementCount(dims);
  if (data.length !== count) {
    throw new Error(
      `makeTensor ${name}: ${data.length} values for dims [${dims.join(', ')}] (${count})`,
    );
  }
  // Every branch of toRawBytes builds a fresh array, so the tensor never aliases `data`.
  return { name, dataType, dims: [...dims], rawData: toRawBytes(dataType, data) };
}

export type AttributeValue =
  | number
  | number[]
  | string
  | string[]
  | Uint8Array
  | TensorProto
  | GraphProto;

function isGraph(v: object): v is GraphProto {
  return 'node' in v || 'output' in v;
}

/**
 * An attribute typed from its value: integers -> INT/INTS, other numbers -> FLOAT/FLOATS.
 * Pass `type` (AttributeType) to force FLOAT for an integral value such as `alpha = 1`.
 */
export function makeAttribute(name: string, value: AttributeValue, type?: number): AttributeProto {
  if (typeof value === 'number') {
    const t = type ?? (Number.isInteger(value) ? AttributeType.INT : AttributeType.FLOAT);
    return t === AttributeType.INT ? { name, type: t, i: value } : { name, type: t, f: value };
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: utf8.encode(value) };
  if (value instanceof Uint8Array) return { name, type: AttributeType.STRING, s: value };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      return { name, type: AttributeType.STRINGS, strings: value.map((v) => utf8.encode(v)) };
    }
    const nums = value as number[];
    const t = type ?? (nums.every(Number.isInteger) ? AttributeType.INTS : AttributeType.FLOATS);
    return t === AttributeType.INTS
      ? { name, type: t, ints: [...nums] }
      : { name, type: t, floats: [...nums] };
  }
  if (isGraph(value)) return { name, type: AttributeType.GRAPH, g: value };
  return { name, type: AttributeType.TENSOR, t: value };
}

export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Record<string, AttributeValue> | AttributeProto[] = {},
  options: { name?: string; domain?: string } = {},
): NodeProto {
  const attribute = Array.isArray(attributes)
    ? attributes
    : Object.entries(attributes).map(([k, v]) => makeAttribute(k, v));
  const node: NodeProto = { input: [...inputs], output: [...outputs], opType };
  if (options.name !== undefined) node.name = options.name;
  if (options.domain !== undefined) node.domain = options.domain;
  if (attribute.length) node.attribute = attribute;
  return node;
}

/** A tensor value info; a string dim is symbolic, null an unknown dim. */
export function makeValueInfo(
  name: string,
  elemType: number,
  shape?: readonly (number | string | null)[],
): ValueInfoProto {
  const tensorType: NonNullable<NonNullable<ValueInfoProto['type']>['tensorType']> = { elemType };
  if (shape) {
    tensorType.shape = {
      dim: shape.map((d) =>
        d === null ? {} : typeof d === 'string' ? { dimParam: d } : { dimValue: d },
      ),
    };
  }
  return { name, type: { tensorType } };
}

export function makeGraph(parts: {
  name?: string;
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  valueInfo?: ValueInfoProto[];
}): GraphProto {
  const graph: GraphProto = {
    name: parts.name ?? 'graph',
    node: parts.nodes,
    input: parts.inputs,
    output: parts.outputs,
  };
  if (parts.initializers?.length) graph.initializer = parts.initializers;
  if (parts.valueInfo?.length) graph.valueInfo = parts.valueInfo;
  return graph;
}

export function makeModel(
  graph: GraphProto,
  options: { opset?: number; irVersion?: number; producerName?: string } = {},
): OnnxModel {
  const opset = options.opset ?? 13;
  return {
    irVersion: options.irVersion ?? (opset >= 21 ? 10 : 8),
    producerName: options.producerName ?? 'qaf-workbench',
    opsetImport: [{ domain: '', version: opset }],
    graph,
  };
}

export function findInitializer(model: OnnxModel, name: string): TensorProto | undefined {
  return model.graph.initializer?.find((t) => t.name === name);
}
