// Typed attribute lookup on nodes.
import type { AttributeProto, NodeProto, TensorProto } from './types.ts';

const utf8 = new TextDecoder();

export function findAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number;
export function attrInt(node: NodeProto, name: string): number | undefined;
export function attrInt(node: NodeProto, name: string, fallback?: number): number | undefined {
  return findAttribute(node, name)?.i ?? fallback;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  return findAttribute(node, name)?.f ?? fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = findAttribute(node, name);
  if (!a) return undefined;
  return a.ints ?? [];
}

export function attrFloats(node: NodeProto, name: string): number[] | undefined {
  const a = findAttribute(node, name);
  if (!a) return undefined;
  return a.floats ?? [];
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const s = findAttribute(node, name)?.s;
  return s ? utf8.decode(s) : fallback;
}

export function attrTensor(node: NodeProto, name: string): TensorProto | undefined {
  return findAttribute(node, name)?.t;
}
