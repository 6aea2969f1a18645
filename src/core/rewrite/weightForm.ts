// How a written model's constant weights are dequantized (issue #14 item 4: compressed models
// not slower). The rewrite writes DequantizeLinear(codes, scale) for every quantized weight.
// onnxruntime's constant folding skips DequantizeLinear (its QDQ fusions need the node), so with
// float activations each one runs again on every inference: on ResNet-20 at batch 1 that was
// 20 % of the kernel time (bench:latency). Two other forms compute the very same float32 weights:
// - 'load':  Cast(codes -> float) then Mul(scale), which onnxruntime folds once when the session
//            is created; the file keeps its INT4/INT8 codes and size.
// - 'float': the float32 weights themselves in the file (the size saving is gone).
// Both compute (q - zero_point) * scale in float32 as the kernel does, so outputs do not change.
// Activation-quantized models (a QuantizeLinear anywhere) are left as written: their weight
// DequantizeLinear is what lets onnxruntime fuse QLinearConv.
import { makeNode, makeTensor } from '../onnx/builders.ts';
import { readModel, writeModel } from '../onnx/reader.ts';
import { tensorToFloat32 } from '../onnx/tensor.ts';
import { DataType, type NodeProto, type OnnxModel, type TensorProto } from '../onnx/types.ts';
import { floatTensor } from './tensors.ts';

/** 'dequantize' is the rewrite's own form (DequantizeLinear nodes run at inference). */
export type WeightForm = 'dequantize' | 'load' | 'float';
export const WEIGHT_FORMS: readonly WeightForm[] = ['dequantize', 'load', 'float'];

const INTEGER_CODES = new Set<number>([
  DataType.INT4,
  DataType.UINT4,
  DataType.INT8,
  DataType.UINT8,
  DataType.INT16,
  DataType.UINT16,
  DataType.INT32,
]);

export interface WeightFormResult {
  model: OnnxModel;
  /** DequantizeLinear nodes of constant weights rewritten. */
  changed: number;
}

function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined ? fallback : Number(a.i);
}

interface ConstantDequantize {
  node: NodeProto;
  codes: TensorProto;
  scale: TensorProto;
  zero: TensorProto | undefined;
  /** The axis of per-axis scales (normalised), or -1 for a per-tensor scale. */
  axis: number;
}

/** A DequantizeLinear of initializers this module can rewrite, or null. */
function constantDequantize(
  node: NodeProto,
  inits: ReadonlyMap<string, TensorProto>,
): ConstantDequantize | null {
  if (node.opType !== 'DequantizeLinear' || (node.domain ?? '') !== '') return null;
  const [codesName, scaleName, zeroName] = node.input ?? [];
  const codes = inits.get(codesName ?? '');
  const scale = inits.get(scaleName ?? '');
  const zero = zeroName ? inits.get(zeroName) : undefined;
  if (!codes || !scale || (zeroName && !zero) || !node.output?.[0]) return null;
  if (!INTEGER_CODES.has(codes.dataType ?? 0) || intAttr(node, 'block_size', 0) !== 0) return null;
  const dims = codes.dims ?? [];
  const count = (scale.dims ?? []).reduce((a, b) => a * b, 1);
  if (count === 1) return { node, codes, scale, zero, axis: -1 };
  let axis = intAttr(node, 'axis', 1);
  if (axis < 0) axis += dims.length;
  if (dims[axis] !== count || (scale.dims ?? []).length !== 1) return null;
  return { node, codes, scale, zero, axis };
}

/** (q - zp) * scale in float32, as DequantizeLinear computes it. */
function dequantized(d: ConstantDequantize): Float32Array {
  const q = tensorToFloat32(d.codes);
  const s = tensorToFloat32(d.scale);
  const z = d.zero ? tensorToFloat32(d.zero) : new Float32Array(s.length);
  const out = new Float32Array(q.length);
  const dims = d.codes.dims ?? [];
  const inner = d.axis < 0 ? q.length : dims.slice(d.axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < q.length; i++) {
    const c = d.axis < 0 ? 0 : Math.floor(i / inner) % s.length;
    out[i] = Math.fround((q[i] - z[c]) * s[c]);
  }
  return out;
}

/**
 * Rewrites every DequantizeLinear of constant weights into `form` (edits `model` in place).
 * Initializers nothing reads any more are dropped.
 */
export function applyWeightForm(model: OnnxModel, form: WeightForm): WeightFormResult {
  const graph = model.graph;
  if (form === 'dequantize' || (graph.node ?? []).some((n) => n.opType === 'QuantizeLinear')) {
    return { model, changed: 0 };
  }
  return rewriteDequantize(model, form, () => true);
}

/**
 * The constant DequantizeLinear nodes writing `outputs` in the 'load' form, whatever else the
 * graph holds (activation Q/DQ included): for weights no QDQ fusion reads, such as the factors a
 * merged conv computes its weight from (rewrite/mergeFactors.ts), which onnxruntime would
 * otherwise compute again on every run. Edits `model` in place.
 */
export function foldAtLoad(model: OnnxModel, outputs: ReadonlySet<string>): WeightFormResult {
  return rewriteDequantize(model, 'load', (n) => outputs.has(n.output?.[0] ?? ''));
}

function rewriteDequantize(
  model: OnnxModel,
  form: Exclude<WeightForm, 'dequantize'>,
  chosen: (node: NodeProto) => boolean,
): WeightFormResult {
  const graph = model.graph;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const taken = new Set([...inits.keys(), ...(graph.node ?? []).flatMap((n) => n.output ?? [])]);
  const unique = (base: string) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const nodes: NodeProto[] = [];
  const added: TensorProto[] = [];
  let changed = 0;
  for (const node of graph.node ?? []) {
    const d = chosen(node) ? constantDequantize(node, inits) : null;
    if (!d) {
      nodes.push(node);
      continue;
    }
    changed++;
    const output = node.output?.[0] ?? '';
    if (form === 'float') {
      added.push(floatTensor(output, d.codes.dims ?? [], dequantized(d)));
      continue;
    }
    nodes.push(...loadTimeNodes(d, output, unique, added));
  }
  if (changed === 0) return { model, changed };
  const read = new Set(nodes.flatMap((n) => n.input ?? []));
  for (const n of nodes) for (const a of n.attribute ?? []) if (a.g) markSubgraph(a.g, read);
  for (const o of graph.output ?? []) read.add(o.name ?? '');
  graph.node = nodes;
  graph.initializer = [
    ...(graph.initializer ?? []).filter((t) => read.has(t.name ?? '')),
    ...added,
  ];
  const addedNames = new Set(added.map((t) => t.name));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !addedNames.has(v.name));
  return { model, changed };
}

/**
 * Cast, [Sub zero point,] Mul scale. A per-axis scale is reshaped to [C, 1, ...] so it broadcasts
 * along its axis; the scale initializer itself keeps its name and dims.
 */
function loadTimeNodes(
  d: ConstantDequantize,
  output: string,
  unique: (base: string) => string,
  added: TensorProto[],
): NodeProto[] {
  const base = d.node.name || output;
  const cast = unique(`${output}_cast`);
  const nodes = [
    makeNode(
      'Cast',
      [d.codes.name ?? ''],
      [cast],
      { to: DataType.FLOAT },
      { name: unique(`${base}_Cast`) },
    ),
  ];
  const rank = (d.codes.dims ?? []).length;
  const broadcast = (tensor: string): string => {
    if (d.axis < 0 || d.axis === rank - 1) return tensor;
    const shapeName = unique(`${tensor}_shape`);
    const shape = [-1, ...Array<number>(rank - d.axis - 1).fill(1)];
    added.push(makeTensor(shapeName, DataType.INT64, [shape.length], shape));
    const out = unique(`${tensor}_axis`);
    nodes.push(
      makeNode('Reshape', [tensor, shapeName], [out], {}, { name: unique(`${base}_Reshape`) }),
    );
    return out;
  };
  let value = cast;
  if (d.zero && tensorToFloat32(d.zero).some((z) => z !== 0)) {
    const zf = unique(`${d.zero.name}_float`);
    added.push(floatTensor(zf, d.zero.dims ?? [], tensorToFloat32(d.zero)));
    const sub = unique(`${output}_centred`);
    nodes.push(makeNode('Sub', [cast, broadcast(zf)], [sub], {}, { name: unique(`${base}_Sub`) }));
    value = sub;
  }
  const scale = broadcast(d.scale.name ?? '');
  nodes.push(makeNode('Mul', [value, scale], [output], {}, { name: unique(`${base}_Mul`) }));
  return nodes;
}

function markSubgraph(g: NonNullable<OnnxModel['graph']>, read: Set<string>): void {
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) read.add(i);
    for (const a of n.attribute ?? []) if (a.g) markSubgraph(a.g, read);
  }
}

/** The same on a serialized model; the bytes come back unchanged when nothing applies. */
export function withWeightForm(
  bytes: Uint8Array,
  form: WeightForm,
): { bytes: Uint8Array; changed: number } {
  if (form === 'dequantize') return { bytes, changed: 0 };
  const { model, changed } = applyWeightForm(readModel(bytes), form);
  return { bytes: changed ? writeModel(model) : bytes, changed };
}

/** The report's note for a model written in `form`. */
export function weightFormNote(form: WeightForm | undefined, changed: number): string {
  return form === 'float'
    ? `weights written as float32 (${changed} DequantizeLinear folded): faster to run, larger file`
    : `weights dequantized once at load (${changed} DequantizeLinear written as Cast + Mul, which onnxruntime folds when the session is created)`;
}
