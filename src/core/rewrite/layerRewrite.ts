// One weight layer of the original graph -> the nodes it becomes (docs/qaf-method.md, "The
// compressed layer"). Conv kxk: 1x1 Cin->R, depthwise kxk (group R, original stride, pads,
// dilations), 1x1 R->Cout with the original bias; 2-way layers: two 1x1 convs, two Gemm or two
// MatMul. The last node always writes the original output name, so the rest of the graph and
// every consumer stay untouched.

import { ptqWeight } from '../factor/baselines.ts';
import { METHODS } from '../factor/methods/index.ts';
import type { FactorResult, LayerResult } from '../factor/types.ts';
import type { Kernels } from '../kernels/types.ts';
import { attrInt } from '../onnx/attributes.ts';
import { makeAttribute } from '../onnx/builders.ts';
import type { AttributeProto, NodeProto } from '../onnx/types.ts';
import type { GraphEditor } from './graphEdit.ts';
import { readFloat32 } from './tensors.ts';
import { type LayerNames, RewriteError, type RewriteLayer } from './types.ts';
import {
  type EmittedWeight,
  emitWeight,
  factorSpec,
  mergeColumnScales,
  type WeightSpec,
} from './weightNodes.ts';
import { transpose } from './weights.ts';

/** Rewrites layer `layer` as `result` says; returns the names calibration will need. */
export function rewriteLayer(
  ed: GraphEditor,
  layer: RewriteLayer,
  result: LayerResult,
): LayerNames {
  const node = ed.nodes[layer.nodeIndex];
  if (!node || node.opType !== layer.op) {
    throw new RewriteError(`layer ${layer.name}: node ${layer.nodeIndex} is not its ${layer.op}`);
  }
  checkShape(layer, result);
  if (result.groups) return rewriteGroupedConv(ed, layer, node, result, result.groups);
  if (!METHODS[result.method].factorizes || result.factors.length === 1)
    return rewritePtq(ed, layer, result);
  // Per-component scales land on the factor the layer applies first (never the last weight).
  const first = layer.op === 'Conv' ? 1 : layer.op === 'Gemm' && attrInt(node, 'transB', 0) ? 1 : 0;
  const merged = { ...result, factors: mergeColumnScales(result.factors, first) };
  if (layer.op === 'Conv') return rewriteConv(ed, layer, node, merged);
  if (layer.op === 'Gemm') return rewriteGemm(ed, layer, node, merged);
  if (layer.op === 'MatMul') return rewriteMatMul(ed, layer, node, merged);
  throw new RewriteError(`layer ${layer.name}: cannot factorize a ${layer.op}`);
}

function checkShape(layer: RewriteLayer, result: LayerResult): void {
  const n = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (n(result.shape) !== n(layer.weightShape) || result.shape[0] !== layer.weightShape[0]) {
    throw new RewriteError(
      `layer ${layer.name}: result shape [${result.shape}] does not match the weight ` +
        `[${layer.weightShape}]`,
    );
  }
}

function baseName(layer: RewriteLayer, node: NodeProto): string {
  return node.name || layer.name;
}

function finish(
  ed: GraphEditor,
  layer: RewriteLayer,
  nodes: NodeProto[],
  last: EmittedWeight | null,
  biasName: string | null,
): LayerNames {
  ed.replaceNode(layer.nodeIndex, nodes);
  const compute = nodes.filter((n) => n.opType !== 'DequantizeLinear');
  const out = nodes[nodes.length - 1].output?.[0] ?? '';
  return {
    lastWeightScaleName: last?.scaleName ?? null,
    biasName,
    outputName: out,
    nodeNames: compute.map((n) => n.name ?? ''),
    initializerNames: initializersRead(ed, nodes),
    chainTensorNames: compute.slice(1).map((n) => n.input?.[0] ?? ''),
  };
}

export function initializersRead(ed: GraphEditor, nodes: readonly NodeProto[]): string[] {
  const names = nodes.flatMap((n) => n.input ?? []).filter((s) => s && ed.hasInitializer(s));
  return [...new Set(names)];
}

/** Weight-only quantization: the node keeps its form, its weight input reads DequantizeLinear. */
function rewritePtq(ed: GraphEditor, layer: RewriteLayer, result: LayerResult): LayerNames {
  const node = ed.nodes[layer.nodeIndex];
  const spec = factorSpec(result.factors[0], result.bits, [...layer.weightShape]);
  return swapWeight(ed, layer, node, emitWeight(ed, layer.weightName, spec));
}

/**
 * Non-factorized layer at `bits`: the engine's per-output-channel PTQ (rows of the stored
 * weight, so axis 0) feeding DequantizeLinear.
 */
export function quantizeOtherLayer(
  ed: GraphEditor,
  layer: RewriteLayer,
  bits: number,
  kernels: Kernels,
): LayerNames {
  const node = ed.nodes[layer.nodeIndex];
  const w = readFloat32(ed.initializer(layer.weightName));
  const q = ptqWeight(kernels, w, layer.weightShape, bits, true);
  const spec = { dims: [...layer.weightShape], bits, axis: 0, ...q };
  return swapWeight(ed, layer, node, emitWeight(ed, layer.weightName, spec));
}

function swapWeight(
  ed: GraphEditor,
  layer: RewriteLayer,
  node: NodeProto,
  weight: EmittedWeight,
): LayerNames {
  const slot = (node.input ?? []).indexOf(layer.weightName);
  if (slot < 0)
    throw new RewriteError(`layer ${layer.name}: its node does not read ${layer.weightName}`);
  const input = [...(node.input ?? [])];
  input[slot] = weight.input;
  return finish(ed, layer, [...weight.nodes, { ...node, input }], weight, layer.biasName ?? null);
}

const SPATIAL_ATTRS = new Set(['strides', 'pads', 'dilations', 'auto_pad']);

function spatialAttrs(node: NodeProto): AttributeProto[] {
  return (node.attribute ?? []).filter((a) => SPATIAL_ATTRS.has(a.name ?? ''));
}

function rewriteConv(
  ed: GraphEditor,
  layer: RewriteLayer,
  node: NodeProto,
  result: LayerResult,
): LayerNames {
  if ((layer.group ?? attrInt(node, 'group', 1)) !== 1) {
    throw new RewriteError(`layer ${layer.name}: grouped convolutions are not factorized`);
  }
  const [cout, cin, ...kernel] = layer.weightShape;
  const ones = kernel.map(() => 1);
  const rank = result.rank;
  const [a, b, c] = result.factors;
  const base = baseName(layer, node);
  const x = node.input?.[0] ?? '';
  const bias = node.input?.[2] ? node.input[2] : null;
  const bits = result.bits;
  const wIn = emitWeight(ed, `${base}_cp_in_w`, factorSpec(b, bits, [rank, cin, ...ones], true));
  const wOut = emitWeight(ed, `${base}_cp_out_w`, factorSpec(a, bits, [cout, rank, ...ones]));
  const t1 = ed.unique(`${base}_cp_in`);
  const nodes: NodeProto[] = [...wIn.nodes];
  const twoWay = result.factors.length === 2;
  // A 2-way (1x1) conv carries its stride and pads on the first 1x1: zero padding commutes
  // with a bias-free 1x1 conv, and striding first saves MACs.
  nodes.push(
    conv(ed, `${base}_cp_in`, [x, wIn.input], t1, ones, 1, twoWay ? spatialAttrs(node) : []),
  );
  let mid = t1;
  if (!twoWay) {
    const wDw = emitWeight(ed, `${base}_cp_dw_w`, factorSpec(c, bits, [rank, 1, ...kernel], true));
    mid = ed.unique(`${base}_cp_dw`);
    nodes.push(...wDw.nodes);
    nodes.push(conv(ed, `${base}_cp_dw`, [t1, wDw.input], mid, kernel, rank, spatialAttrs(node)));
  }
  const outName = node.output?.[0] ?? '';
  nodes.push(...wOut.nodes);
  const lastInputs = bias ? [mid, wOut.input, bias] : [mid, wOut.input];
  nodes.push(conv(ed, `${base}_cp_out`, lastInputs, outName, ones, 1, []));
  return finish(ed, layer, nodes, wOut, bias);
}

/**
 * A grouped conv factorized per group (compressLayer.ts): grouped 1x1 Cin -> G R (group G),
 * depthwise k on G R channels, grouped 1x1 G R -> Cout (group G) with the original bias. Each
 * stage's weight stacks the groups' factors along its output channels, so every group keeps its
 * own grid scales as per-axis scales along axis 0 (per-component scales merged into the first
 * factor, as for a plain conv). Exact: group g of the output reads only group g's channels.
 */
function rewriteGroupedConv(
  ed: GraphEditor,
  layer: RewriteLayer,
  node: NodeProto,
  result: LayerResult,
  groups: readonly LayerResult[],
): LayerNames {
  const [cout, cin, ...kernel] = layer.weightShape;
  const ones = kernel.map(() => 1);
  const g = groups.length;
  const rank = result.rank;
  const parts = groups.map((r) => mergeColumnScales(r.factors, 1));
  const twoWay = parts[0].length === 2;
  const stack = (mode: number, dims: number[], transposed: boolean) =>
    stackedSpec(
      parts.map((f) => f[mode]),
      result.bits,
      dims,
      transposed,
    );
  const base = baseName(layer, node);
  const x = node.input?.[0] ?? '';
  const bias = node.input?.[2] ? node.input[2] : null;
  const wIn = emitWeight(ed, `${base}_cp_in_w`, stack(1, [g * rank, cin, ...ones], true));
  const t1 = ed.unique(`${base}_cp_in`);
  const nodes: NodeProto[] = [...wIn.nodes];
  nodes.push(
    conv(ed, `${base}_cp_in`, [x, wIn.input], t1, ones, g, twoWay ? spatialAttrs(node) : []),
  );
  let mid = t1;
  if (!twoWay) {
    const wDw = emitWeight(ed, `${base}_cp_dw_w`, stack(2, [g * rank, 1, ...kernel], true));
    mid = ed.unique(`${base}_cp_dw`);
    nodes.push(...wDw.nodes);
    nodes.push(
      conv(ed, `${base}_cp_dw`, [t1, wDw.input], mid, kernel, g * rank, spatialAttrs(node)),
    );
  }
  const wOut = emitWeight(ed, `${base}_cp_out_w`, stack(0, [cout, rank, ...ones], false));
  nodes.push(...wOut.nodes);
  const lastInputs = bias ? [mid, wOut.input, bias] : [mid, wOut.input];
  nodes.push(conv(ed, `${base}_cp_out`, lastInputs, node.output?.[0] ?? '', ones, g, []));
  return finish(ed, layer, nodes, wOut, bias);
}

/**
 * The groups' factors (rows x R each) stacked as one weight: each factor as rows (or transposed,
 * R x rows), one after another; with codes, one scale per stacked row (axis 0).
 */
function stackedSpec(
  factors: readonly FactorResult[],
  bits: number,
  dims: number[],
  transposed: boolean,
): WeightSpec {
  const specs = factors.map((f) => {
    const rows = transposed ? f.cols : f.rows;
    const rowScale = (i: number) =>
      transposed
        ? (f.columnScales?.[i] ?? f.scale ?? Number.NaN)
        : (f.scales?.[i] ?? f.scale ?? Number.NaN);
    const t = <T extends Float32Array | Int8Array>(a: T): T =>
      transposed ? transpose(a, f.rows, f.cols) : a;
    return {
      values: t(f.values),
      codes: f.codes ? t(f.codes) : undefined,
      scales: Float32Array.from({ length: rows }, (_, i) => rowScale(i)),
    };
  });
  const join = <T extends Float32Array | Int8Array>(arrays: T[], make: (n: number) => T): T => {
    const out = make(arrays.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of arrays) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  };
  const values = join(
    specs.map((s) => s.values),
    (n) => new Float32Array(n),
  );
  if (specs.some((s) => !s.codes)) return { dims, values };
  return {
    dims,
    values,
    codes: join(
      specs.map((s) => s.codes!),
      (n) => new Int8Array(n),
    ),
    bits,
    scales: join(
      specs.map((s) => s.scales),
      (n) => new Float32Array(n),
    ),
    axis: 0,
  };
}

function conv(
  ed: GraphEditor,
  name: string,
  input: string[],
  output: string,
  kernel: number[],
  group: number,
  extra: AttributeProto[],
): NodeProto {
  const attribute = [makeAttribute('kernel_shape', kernel), ...extra];
  if (group !== 1) attribute.push(makeAttribute('group', group));
  return { name: ed.unique(name), opType: 'Conv', input, output: [output], attribute };
}

/**
 * Gemm, W = A Bᵀ in the stored orientation. transB=1 (W is out x in, A is out x R): Gemm(x, B)
 * then Gemm(., A, transB=1). transB=0 (W is in x out, A is in x R): Gemm(x, A) then
 * Gemm(., B, transB=1). Neither needs a transpose; alpha, beta and the bias go on the second.
 */
function rewriteGemm(
  ed: GraphEditor,
  layer: RewriteLayer,
  node: NodeProto,
  result: LayerResult,
): LayerNames {
  const [a, b] = twoFactors(layer, result);
  const transB = attrInt(node, 'transB', 0) === 1;
  const [first, second] = transB ? [b, a] : [a, b];
  const base = baseName(layer, node);
  const w1 = emitWeight(
    ed,
    `${base}_cp_in_w`,
    factorSpec(first, result.bits, [first.rows, result.rank]),
  );
  const w2 = emitWeight(
    ed,
    `${base}_cp_out_w`,
    factorSpec(second, result.bits, [second.rows, result.rank]),
  );
  const t1 = ed.unique(`${base}_cp_in`);
  const transA = attrInt(node, 'transA', 0);
  const keep = (node.attribute ?? []).filter((x) => x.name === 'alpha' || x.name === 'beta');
  const bias = node.input?.[2] ? node.input[2] : null;
  const g1: NodeProto = {
    name: ed.unique(`${base}_cp_in`),
    opType: 'Gemm',
    input: [node.input?.[0] ?? '', w1.input],
    output: [t1],
    attribute: transA ? [makeAttribute('transA', 1)] : [],
  };
  const g2: NodeProto = {
    name: ed.unique(`${base}_cp_out`),
    opType: 'Gemm',
    input: bias ? [t1, w2.input, bias] : [t1, w2.input],
    output: [node.output?.[0] ?? ''],
    attribute: [makeAttribute('transB', 1), ...keep],
  };
  return finish(ed, layer, [...w1.nodes, g1, ...w2.nodes, g2], w2, bias);
}

/** MatMul Y = X W with W (in x out) = A Bᵀ: MatMul(x, A) then MatMul(., Bᵀ). */
function rewriteMatMul(
  ed: GraphEditor,
  layer: RewriteLayer,
  node: NodeProto,
  result: LayerResult,
): LayerNames {
  if (node.input?.[1] !== layer.weightName) {
    throw new RewriteError(
      `layer ${layer.name}: only MatMul(x, W) with a constant W is factorized`,
    );
  }
  const [a, b] = twoFactors(layer, result);
  const base = baseName(layer, node);
  const w1 = emitWeight(ed, `${base}_cp_in_w`, factorSpec(a, result.bits, [a.rows, result.rank]));
  const w2 = emitWeight(
    ed,
    `${base}_cp_out_w`,
    factorSpec(b, result.bits, [result.rank, b.rows], true),
  );
  const t1 = ed.unique(`${base}_cp_in`);
  const m1: NodeProto = {
    name: ed.unique(`${base}_cp_in`),
    opType: 'MatMul',
    input: [node.input?.[0] ?? '', w1.input],
    output: [t1],
  };
  const m2: NodeProto = {
    name: ed.unique(`${base}_cp_out`),
    opType: 'MatMul',
    input: [t1, w2.input],
    output: [node.output?.[0] ?? ''],
  };
  return finish(ed, layer, [...w1.nodes, m1, ...w2.nodes, m2], w2, null);
}

function twoFactors(layer: RewriteLayer, result: LayerResult) {
  if (result.factors.length !== 2 || layer.weightShape.length !== 2) {
    throw new RewriteError(
      `layer ${layer.name}: a ${layer.op} needs a 2-way result, got ${result.factors.length} factors`,
    );
  }
  return result.factors;
}
