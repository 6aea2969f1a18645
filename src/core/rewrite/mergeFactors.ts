// A factorized conv written back as one dense conv whose weight the runtime computes from the
// factors once, at session creation (issue #14 item 4). Where the CP chain (1x1 Cin->R,
// depthwise kxk, 1x1 R->Cout) is slower than the original conv (small maps, strided layers whose
// first 1x1 runs at the input's full size), this keeps the file's INT4 factors and their size
// but runs the original's single kernel: W[o,i,k] = sum_r A[o,r] B[i,r] C[k,r] as Reshape, Mul
// and MatMul of constants, which onnxruntime folds at load, as it folds the Cast + Mul of
// weightForm 'load' (a DequantizeLinear input would be recomputed on every run instead, so the
// factors' own DequantizeLinear nodes are written as Cast + Mul here too). Sums
// run in another order than the chain's, so outputs agree to float rounding, not bit for bit.
import { makeAttribute, makeNode, makeTensor } from '../onnx/builders.ts';
import { DataType, type NodeProto, type OnnxModel, type TensorProto } from '../onnx/types.ts';
import { foldAtLoad } from './weightForm.ts';

export interface MergeResult {
  model: OnnxModel;
  /** Output tensors of the layers merged back. */
  merged: string[];
  /** Requested outputs that are not the end of a 3-way factorized conv (left as they are). */
  notFound: string[];
}

function attr(node: NodeProto, name: string) {
  return node.attribute?.find((a) => a.name === name);
}

function ints(node: NodeProto, name: string): number[] | undefined {
  return attr(node, name)?.ints?.map(Number);
}

interface Chain {
  first: NodeProto;
  dw: NodeProto;
  last: NodeProto;
  /** Activation QuantizeLinear -> DequantizeLinear pairs inside the chain (8-bit activations). */
  between: NodeProto[];
}

/** The CP chain ending in the Conv that writes `output`, or null. */
function chainEndingIn(nodes: readonly NodeProto[], output: string): Chain | null {
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, number>();
  for (const n of nodes) {
    for (const o of n.output ?? []) producer.set(o, n);
    for (const i of n.input ?? []) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  }
  const only = (n: NodeProto | undefined) => consumers.get(n?.output?.[0] ?? '') === 1;
  const between: NodeProto[] = [];
  // The node feeding `n`'s data input, through a Q -> DQ pair of 8-bit activations if there is
  // one: merged, the chain's inner tensors are gone, and with them their quantization.
  const feeding = (n: NodeProto | undefined) => {
    const p = n && producer.get(n.input?.[0] ?? '');
    if (p?.opType !== 'DequantizeLinear') return p;
    const q = producer.get(p.input?.[0] ?? '');
    if (q?.opType !== 'QuantizeLinear' || !only(q) || !only(p)) return p;
    between.push(q, p);
    return producer.get(q.input?.[0] ?? '');
  };
  const last = producer.get(output);
  const dw = feeding(last);
  const first = feeding(dw);
  if (!last || !dw || !first) return null;
  if (![first, dw, last].every((n) => n.opType === 'Conv' && (n.domain ?? '') === '')) return null;
  const group = Number(attr(dw, 'group')?.i ?? 1);
  const oneByOne = (n: NodeProto) => (ints(n, 'kernel_shape') ?? []).every((k) => k === 1);
  if (group <= 1 || !oneByOne(first) || !oneByOne(last)) return null;
  if (Number(attr(first, 'group')?.i ?? 1) !== 1 || Number(attr(last, 'group')?.i ?? 1) !== 1)
    return null;
  // The 3-way form: no bias before the last conv, and spatial attributes only on the depthwise.
  if ((first.input?.length ?? 0) > 2 || (dw.input?.length ?? 0) > 2) return null;
  if (['strides', 'pads', 'dilations', 'auto_pad'].some((a) => attr(first, a) || attr(last, a)))
    return null;
  if (!only(first) || !only(dw)) return null;
  return { first, dw, last, between };
}

/**
 * Dims of constant weights by name: initializers, and what DequantizeLinear, Cast and Mul (the
 * weight forms) compute from them, which keeps the first input's dims.
 */
function weightShapes(model: OnnxModel): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>(
    (model.graph.initializer ?? []).map((t) => [t.name ?? '', t.dims ?? []]),
  );
  for (const n of model.graph.node ?? []) {
    if (!['DequantizeLinear', 'Cast', 'Mul'].includes(n.opType ?? '')) continue;
    const dims = shapes.get(n.input?.[0] ?? '');
    if (dims && n.output?.[0]) shapes.set(n.output[0], dims);
  }
  return shapes;
}

/**
 * Merges the factorized convs writing `outputs` (their original output names) back into one
 * conv each. Edits `model` in place.
 */
export function mergeFactorizedConvs(model: OnnxModel, outputs: readonly string[]): MergeResult {
  const graph = model.graph;
  const shapes = weightShapes(model);
  const merged: string[] = [];
  const notFound: string[] = [];
  const added: TensorProto[] = [];
  let nodes = [...(graph.node ?? [])];
  const gone = new Set<string>();
  const factorWeights: string[] = [];
  const shapeConst = (name: string, dims: number[]) => {
    added.push(makeTensor(name, DataType.INT64, [dims.length], dims));
    return name;
  };
  for (const output of outputs) {
    const chain = chainEndingIn(nodes, output);
    const [wIn, wDw, wOut] = chain
      ? [chain.first.input?.[1], chain.dw.input?.[1], chain.last.input?.[1]]
      : [];
    const sIn = wIn ? shapes.get(wIn) : undefined;
    const sDw = wDw ? shapes.get(wDw) : undefined;
    const sOut = wOut ? shapes.get(wOut) : undefined;
    if (!chain || !sIn || !sDw || !sOut || !wIn || !wDw || !wOut) {
      notFound.push(output);
      continue;
    }
    const [rank, cin] = sIn;
    const kernel = sDw.slice(2);
    const k = kernel.reduce((a, b) => a * b, 1);
    const cout = sOut[0];
    const base = `${output}_merged`;
    const t = (s: string) => `${base}_${s}`;
    const weightNodes = [
      makeNode('Reshape', [wIn, shapeConst(t('in_shape'), [rank, cin, 1])], [t('in')]),
      makeNode('Reshape', [wDw, shapeConst(t('dw_shape'), [rank, 1, k])], [t('dw')]),
      makeNode('Mul', [t('in'), t('dw')], [t('kr')]),
      makeNode('Reshape', [t('kr'), shapeConst(t('kr_shape'), [rank, cin * k])], [t('kr2')]),
      makeNode('Reshape', [wOut, shapeConst(t('out_shape'), [cout, rank])], [t('out')]),
      makeNode('MatMul', [t('out'), t('kr2')], [t('w2')]),
      makeNode('Reshape', [t('w2'), shapeConst(t('w_shape'), [cout, cin, ...kernel])], [t('w')]),
    ].map((n, i) => ({ ...n, name: `${base}_${i}` }));
    const spatial = (chain.dw.attribute ?? []).filter((a) => a.name !== 'group');
    const bias = chain.last.input?.[2];
    const conv: NodeProto = {
      name: chain.last.name ? `${chain.last.name}_merged` : base,
      opType: 'Conv',
      input: [chain.first.input?.[0] ?? '', t('w'), ...(bias ? [bias] : [])],
      output: [output],
      attribute: spatial.length ? spatial : [makeAttribute('kernel_shape', kernel)],
    };
    // In the last conv's place: every weight is computed before it (topological order).
    const dropped = new Set([chain.first, chain.dw, ...chain.between]);
    nodes = nodes.flatMap((n) =>
      n === chain.last ? [...weightNodes, conv] : dropped.has(n) ? [] : [n],
    );
    for (const n of dropped) gone.add(n.output?.[0] ?? '');
    merged.push(output);
    factorWeights.push(wIn, wDw, wOut);
  }
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []), ...added];
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !gone.has(v.name ?? ''));
  // Factors still in DequantizeLinear form (8-bit activations keep that form, and so may the
  // user) are folded at load like the rest of the merged weight; only those nothing else reads.
  const readers = new Map<string, number>();
  for (const n of nodes) for (const i of n.input ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
  foldAtLoad(model, new Set(factorWeights.filter((w) => readers.get(w) === 1)));
  return { model, merged, notFound };
}
