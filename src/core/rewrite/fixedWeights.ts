// Weights that are quantized only, never factorized (issue #12): the constant weights of layers
// inside If/Loop/Scan bodies, ConvTranspose weights, and the W and R weights of LSTM/GRU/RNN.
// Each is quantized per channel at the bits of the main graph's layers that are not factorized.
// Bodies are never factorized because every step that runs the model on data (data-aware solver,
// calibration, activation ranges, the failed-check blame) would need tensors inside a body, which
// onnxruntime does not expose as outputs. The weight keeps its name: a DequantizeLinear writes it
// in the graph that defines it, so every reader (both branches of an If, nested bodies) is
// untouched and onnxruntime resolves the outer-scope name as before.
import { ptqWeight } from '../factor/baselines.ts';
import type { Kernels } from '../kernels/types.ts';
import { makeAttribute } from '../onnx/builders.ts';
import {
  isDefaultDomain,
  producersOf,
  quantizedOnlyWeight,
  RECURRENT_OPS,
  rearrangedSources,
} from '../onnx/layerCensus.ts';
import type { GraphProto, NodeProto, OnnxModel, TensorProto } from '../onnx/types.ts';
import { codesTensor, floatTensor, readFloat32 } from './tensors.ts';

/** The ops whose constant weight (input 1) is quantized inside a body. */
const BODY_WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/**
 * The weight inputs of `node` quantized only, with their per-channel axis; `inBody` for a node
 * inside a body. ConvTranspose [Cin, Cout/group, k...]: per output channel (axis 1); LSTM/GRU/RNN
 * W [dirs, gates*H, I] and R [dirs, gates*H, H]: per gate row (axis 1); other layers in bodies
 * per row of the stored weight (axis 0), as the main graph's layers that are not factorized.
 */
function fixedSlots(node: NodeProto, inBody: boolean): { slot: number; axis: number }[] {
  if (!isDefaultDomain(node)) return [];
  const op = node.opType ?? '';
  if (RECURRENT_OPS.has(op)) {
    return [
      { slot: 1, axis: 1 },
      { slot: 2, axis: 1 },
    ];
  }
  if (op === 'ConvTranspose') return [{ slot: 1, axis: 1 }];
  return inBody && BODY_WEIGHT_OPS.has(op) ? [{ slot: 1, axis: 0 }] : [];
}

interface Definition {
  graph: GraphProto;
  name: string;
  /** The Constant node holding it, or null for an initializer of `graph`. */
  constant: NodeProto | null;
  tensor: TensorProto;
}

/** Where a quantized-only weight is defined, who reads it and along which axis. */
interface WeightSite extends Definition {
  axis: number;
  /** e.g. "Conv_0 (inside If branch then_branch)". */
  readers: string[];
  readerSlots: { node: NodeProto; slot: number }[];
}

type Scope = Map<string, Definition>;

function scopeOf(graph: GraphProto, outer: Scope): Scope {
  const scope: Scope = new Map(outer);
  for (const t of graph.initializer ?? []) {
    scope.set(t.name ?? '', { graph, name: t.name ?? '', constant: null, tensor: t });
  }
  for (const n of graph.node ?? []) {
    const t = n.opType === 'Constant' ? n.attribute?.find((a) => a.name === 'value')?.t : undefined;
    const name = n.output?.[0];
    if (t && name) scope.set(name, { graph, name, constant: n, tensor: t });
  }
  return scope;
}

/** Every quantized-only constant weight, once per definition. */
function fixedWeightSites(model: OnnxModel): WeightSite[] {
  const sites = new Map<TensorProto, WeightSite>();
  const visit = (g: GraphProto, outer: Scope, path: string) => {
    const scope = scopeOf(g, outer);
    const constants = new Map([...scope].map(([name, d]) => [name, d.tensor]));
    const producers = producersOf(g);
    const add = (def: Definition, axis: number, label: string, reader: NodeProto, slot: number) => {
      const site = sites.get(def.tensor) ?? { ...def, axis, readers: [], readerSlots: [] };
      // One tensor read along two different axes keeps its float form (filtered below).
      if (site.axis !== axis) site.axis = -1;
      if (!site.readers.includes(label)) site.readers.push(label);
      site.readerSlots.push({ node: reader, slot });
      sites.set(def.tensor, site);
    };
    (g.node ?? []).forEach((node, i) => {
      const op = node.opType ?? '';
      const label = `${node.name || `${op}_${i}`} (${path || 'main graph'})`;
      for (const { slot, axis } of fixedSlots(node, path !== '')) {
        const name = node.input?.[slot] ?? '';
        const def = scope.get(name);
        if (def && quantizedOnlyWeight(node, def.tensor)) add(def, axis, label, node, slot);
        if (def || !RECURRENT_OPS.has(op)) continue;
        // W or R rearranged from constants (Slice/Concat/Unsqueeze): the sources, per row.
        for (const src of rearrangedSources(name, constants, producers) ?? []) {
          add(scope.get(src.name)!, 0, label, src.node, src.slot);
        }
      }
      for (const a of node.attribute ?? []) {
        const where = op === 'If' ? `inside If branch ${a.name}` : `inside ${op} ${a.name}`;
        for (const sub of [a.g, ...(a.graphs ?? [])]) {
          if (sub) visit(sub, scope, [path, where].filter(Boolean).join(' > '));
        }
      }
    });
  };
  visit(model.graph, new Map(), '');
  // A weight that is also a graph input (IR < 4) or output keeps its float form.
  const io = new Set(
    [...(model.graph.input ?? []), ...(model.graph.output ?? [])].map((v) => v.name ?? ''),
  );
  return [...sites.values()].filter(
    (s) => s.axis >= 0 && !(s.graph === model.graph && io.has(s.name)),
  );
}

/**
 * The nodes whose weights the rewrite quantizes only (see the top of this file), with where they
 * are, e.g. "Conv_0 (inside If branch then_branch)": what a model with no main-graph layer can
 * still have compressed (src/core/pipeline/quantizeOnly.ts).
 */
export function quantizedOnlyLayers(model: OnnxModel): string[] {
  return [...new Set(fixedWeightSites(model).flatMap((s) => s.readers))];
}

/** Every name in the model, bodies included, so new names never shadow an outer one. */
function allNames(g: GraphProto, into = new Set<string>()): Set<string> {
  for (const t of g.initializer ?? []) into.add(t.name ?? '');
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
    into.add(v.name ?? '');
  }
  for (const n of g.node ?? []) {
    if (n.name) into.add(n.name);
    for (const s of [...(n.input ?? []), ...(n.output ?? [])]) into.add(s);
    for (const a of n.attribute ?? []) {
      for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) allNames(sub, into);
    }
  }
  return into;
}

/** [outer, C, inner] <-> [C, outer, inner]: the engine's per-channel PTQ works on rows. */
function moveAxis<T extends Float32Array | Int8Array>(
  v: T,
  dims: readonly number[],
  axis: number,
  toFront: boolean,
): T {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const c = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new (v.constructor as new (n: number) => T)(v.length);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < c; k++) {
      const a = (o * c + k) * inner;
      const b = (k * outer + o) * inner;
      for (let j = 0; j < inner; j++) {
        if (toFront) out[b + j] = v[a + j];
        else out[a + j] = v[b + j];
      }
    }
  }
  return out;
}

function quantizeAlong(kernels: Kernels, t: TensorProto, axis: number, bits: number) {
  const dims = [...(t.dims ?? [])];
  const rows = moveAxis(readFloat32(t), dims, axis, true);
  const q = ptqWeight(kernels, rows, [dims[axis], rows.length / dims[axis]], bits, true);
  return {
    dims,
    codes: moveAxis(q.codes, dims, axis, false),
    values: moveAxis(q.values, dims, axis, false),
    scales: q.scales,
  };
}

export interface FixedWeightQuantization {
  /** The nodes whose weights are now quantized, with where they are. */
  layers: string[];
  /** Weight tensors quantized (a weight shared by both branches of an If counts once). */
  weights: number;
  /** Their elements and per-channel scales, for the cost model (quantizedOnlyBytes). */
  params: number;
  channels: number;
}

/**
 * Quantizes, in place, every weight that is quantized only (see the top of this file): `mode`
 * 'codes' writes integer codes and a per-channel DequantizeLinear (INT4 containers only when
 * `int4` is allowed, else INT8), 'values' writes the dequantized float values under a new name
 * that only those readers read (the float reference model, where a main-graph layer sharing the
 * weight gets its own reconstruction). The caller must have raised the opset to 13 for 'codes'.
 */
export function quantizeFixedWeights(
  model: OnnxModel,
  bits: number,
  kernels: Kernels,
  mode: 'codes' | 'values',
  int4 = false,
): FixedWeightQuantization {
  const sites = fixedWeightSites(model);
  const used = allNames(model.graph);
  const unique = (base: string) => {
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  for (const site of sites) {
    const q = quantizeAlong(kernels, site.tensor, site.axis, bits);
    const g = site.graph;
    if (mode === 'values') {
      const t = floatTensor(unique(`${site.name}_ptq`), q.dims, q.values);
      g.initializer = [...(g.initializer ?? []), t];
      for (const { node, slot } of site.readerSlots) {
        node.input = (node.input ?? []).map((s, i) => (i === slot ? (t.name ?? '') : s));
      }
      continue;
    }
    const codes = codesTensor(unique(`${site.name}_codes`), q.dims, q.codes, int4 ? bits : 8);
    const scale = floatTensor(unique(`${site.name}_scale`), [q.scales.length], q.scales);
    const dq: NodeProto = {
      name: unique(`${site.name}_DequantizeLinear`),
      opType: 'DequantizeLinear',
      input: [codes.name ?? '', scale.name ?? ''],
      output: [site.name],
      attribute: [makeAttribute('axis', site.axis)],
    };
    g.initializer = [...(g.initializer ?? []).filter((t) => t !== site.tensor), codes, scale];
    // The DequantizeLinear reads only initializers: first in its graph, or where the Constant was.
    g.node = site.constant
      ? (g.node ?? []).map((n) => (n === site.constant ? dq : n))
      : [dq, ...(g.node ?? [])];
  }
  const count = (s: WeightSite) => (s.tensor.dims ?? []).reduce((a, b) => a * Number(b), 1);
  return {
    layers: [...new Set(sites.flatMap((s) => s.readers))],
    weights: sites.length,
    params: sites.reduce((n, s) => n + count(s), 0),
    channels: sites.reduce((n, s) => n + Number(s.tensor.dims?.[s.axis] ?? 0), 0),
  };
}
