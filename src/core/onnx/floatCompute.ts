// float16 and double models (issue #17): the solver, the rewrite and the cost model work in
// float32, so such a model is compressed as its float32 twin (every FLOAT16/DOUBLE tensor, Cast,
// dtype and declared type turned into FLOAT: float16 -> float32 is exact, double -> float32
// rounds), and the written model gets the original's element types back at its inputs and
// outputs (restoreInterfaceTypes: a Cast after each input, one before each output), so it is a
// drop-in replacement for the file it came from. Inside, a written model computes in float32.
// BFLOAT16 stays refused by the layer census: onnxruntime, which checks every written model, has
// no bfloat16 Conv or Gemm to run the original with.
import { makeTensor } from './builders.ts';
import { tensorToFloat32 } from './tensor.ts';
import {
  type AttributeProto,
  DataType,
  type GraphProto,
  type NodeProto,
  type OnnxModel,
  type TensorProto,
  type ValueInfoProto,
} from './types.ts';

/** The float element types computed as float32. */
const WIDENED = new Set<number>([DataType.FLOAT16, DataType.DOUBLE]);

const LAYER_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** A model input or output whose element type the written model must restore. */
export interface InterfaceType {
  name: string;
  elemType: number;
}

export interface InterfaceTypes {
  inputs: InterfaceType[];
  outputs: InterfaceType[];
}

/**
 * The element type a float16 or double model computes in (FLOAT16 or DOUBLE), or null: true when
 * a layer's weight initializer has that type (such layers are otherwise left as they are).
 */
export function widenedFloatType(model: OnnxModel): number | null {
  const g = model.graph;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const n of g.node ?? []) {
    if (!LAYER_OPS.has(n.opType ?? '') || (n.domain && n.domain !== 'ai.onnx')) continue;
    const slots = n.opType === 'MatMul' ? [0, 1] : [1];
    for (const i of slots) {
      const type = inits.get(n.input?.[i] ?? '')?.dataType ?? 0;
      if (WIDENED.has(type)) return type;
    }
  }
  return null;
}

/** Graph inputs and outputs of a FLOAT16/DOUBLE type (what restoreInterfaceTypes puts back). */
export function interfaceTypes(model: OnnxModel): InterfaceTypes {
  const inits = new Set((model.graph.initializer ?? []).map((t) => t.name));
  const typed = (list: ValueInfoProto[] | undefined) =>
    (list ?? [])
      .filter((v) => !inits.has(v.name))
      .map((v) => ({ name: v.name ?? '', elemType: v.type?.tensorType?.elemType ?? 0 }))
      .filter((v) => WIDENED.has(v.elemType));
  return { inputs: typed(model.graph.input), outputs: typed(model.graph.output) };
}

/** A FLOAT16/DOUBLE tensor as FLOAT; refused when a double value is beyond float32's range. */
function floatTensor(t: TensorProto, where: string): TensorProto {
  if (!WIDENED.has(t.dataType ?? 0)) return t;
  const values = tensorToFloat32(t);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0 && t.dataType === DataType.DOUBLE) {
    throw new RangeError(
      `${where} holds a value beyond float32's range (element ${bad}): the model cannot be ` +
        'computed in float32 (the solver and the compressed layers are float32)',
    );
  }
  const { floatData: _f, doubleData: _d, int32Data: _i, rawData: _r, ...rest } = t;
  const converted = makeTensor(t.name ?? '', DataType.FLOAT, (t.dims ?? []).map(Number), values);
  return { ...rest, dataType: DataType.FLOAT, rawData: converted.rawData };
}

function floatValueInfo(v: ValueInfoProto): void {
  const t = v.type?.tensorType;
  if (t && WIDENED.has(t.elemType ?? 0)) t.elemType = DataType.FLOAT;
}

function floatAttribute(a: AttributeProto, node: string): void {
  if (a.t) a.t = floatTensor(a.t, `node "${node}" attribute ${a.name}`);
  if (a.tensors)
    a.tensors = a.tensors.map((t) => floatTensor(t, `node "${node}" attribute ${a.name}`));
  // Cast's `to`, and the `dtype` of RandomNormal, EyeLike, ... .
  if ((a.name === 'to' || a.name === 'dtype') && WIDENED.has(a.i ?? 0)) a.i = DataType.FLOAT;
  if (a.g) floatGraph(a.g);
  for (const g of a.graphs ?? []) floatGraph(g);
}

function floatGraph(g: GraphProto): void {
  g.initializer = (g.initializer ?? []).map((t) => floatTensor(t, `initializer "${t.name}"`));
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
    floatValueInfo(v);
  }
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) floatAttribute(a, n.name || n.opType || '?');
  }
}

/**
 * The model computed in float32 (in place): every FLOAT16/DOUBLE tensor, attribute and declared
 * type, subgraphs included. Returns how many initializers changed type.
 */
export function toFloat32Compute(model: OnnxModel): number {
  const before = (model.graph.initializer ?? []).filter((t) => WIDENED.has(t.dataType ?? 0));
  floatGraph(model.graph);
  return before.length;
}

/** Every use of `from` in `nodes` (and in their subgraphs, which may read it) becomes `to`. */
function renameUses(nodes: NodeProto[] | undefined, from: string, to: string): void {
  for (const n of nodes ?? []) {
    if (n.input) n.input = n.input.map((s) => (s === from ? to : s));
    for (const a of n.attribute ?? []) {
      if (a.g) renameUses(a.g.node, from, to);
      for (const g of a.graphs ?? []) renameUses(g.node, from, to);
    }
  }
}

function unusedName(g: GraphProto, base: string): string {
  const taken = new Set<string>();
  for (const n of g.node ?? [])
    for (const s of [...(n.input ?? []), ...(n.output ?? [])]) taken.add(s);
  for (const t of g.initializer ?? []) taken.add(t.name ?? '');
  let name = `${base}_float32`;
  for (let i = 2; taken.has(name); i++) name = `${base}_float32_${i}`;
  return name;
}

/**
 * The written float32 model given back the original's interface (in place): a Cast to FLOAT
 * after each FLOAT16/DOUBLE input and a Cast back before each such output, names unchanged.
 */
export function restoreInterfaceTypes(model: OnnxModel, types: InterfaceTypes): void {
  const g = model.graph;
  const first: NodeProto[] = [];
  const last: NodeProto[] = [];
  for (const { name, elemType } of types.inputs) {
    const input = (g.input ?? []).find((v) => v.name === name);
    if (!input?.type?.tensorType) continue;
    const inner = unusedName(g, name);
    renameUses(g.node, name, inner);
    input.type.tensorType.elemType = elemType;
    first.push(castNode(name, inner, DataType.FLOAT));
  }
  for (const { name, elemType } of types.outputs) {
    const output = (g.output ?? []).find((v) => v.name === name);
    if (!output?.type?.tensorType) continue;
    const inner = unusedName(g, name);
    for (const n of g.node ?? []) {
      if (n.output) n.output = n.output.map((s) => (s === name ? inner : s));
    }
    renameUses(g.node, name, inner);
    for (const v of g.valueInfo ?? []) if (v.name === name) v.name = inner;
    output.type.tensorType.elemType = elemType;
    last.push(castNode(inner, name, elemType));
  }
  g.node = [...first, ...(g.node ?? []), ...last];
}

function castNode(input: string, output: string, to: number): NodeProto {
  return {
    opType: 'Cast',
    name: `${output}_cast`,
    input: [input],
    output: [output],
    attribute: [{ name: 'to', type: 2, i: to }],
  };
}
