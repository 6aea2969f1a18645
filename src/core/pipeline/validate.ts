// Checks a model before any work, so nothing is solved for (or written from) a graph that cannot
// run: a graph that is a DAG with every consumed tensor defined (subgraphs included), attributes
// that agree with the weights, weights whose bytes are all there and whose values are finite.
// Each problem is one sentence naming the node or tensor; warnings do not stop the work.
import { attrInt, attrInts } from '../onnx/attributes.ts';
import { graphInputs } from '../onnx/graphInputs.ts';
import { dataTypeName, elementCount, rawByteLength, tensorToFloat32 } from '../onnx/tensor.ts';
import { DataType, type GraphProto, type NodeProto, type OnnxModel } from '../onnx/types.ts';

export interface ModelValidation {
  errors: string[];
  warnings: string[];
}

/** The model cannot be compressed as it is; the message names the node or tensor and why. */
export class InvalidModelError extends Error {
  override name = 'InvalidModelError';
}

const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
const FLOAT_TYPES = new Set<number>([
  DataType.FLOAT,
  DataType.FLOAT16,
  DataType.BFLOAT16,
  DataType.DOUBLE,
]);
/** A weight whose largest magnitude is this many times its median magnitude is an outlier. */
const OUTLIER_RATIO = 1e4;
/** Values sampled (evenly strided) for the median. */
const MEDIAN_SAMPLE = 4096;

export function validateModel(model: OnnxModel): ModelValidation {
  const out: ModelValidation = { errors: [], warnings: [] };
  checkGraph(model.graph, new Set(), 'the graph', out);
  for (const input of graphInputs(model)) {
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    if (
      dims.some((d) => d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) < 0)
    ) {
      out.errors.push(`input "${input.name}" has a negative dimension`);
    }
  }
  checkWeights(model, out);
  return out;
}

/** Throws InvalidModelError with every error, one per line; returns the warnings. */
export function assertValidModel(model: OnnxModel): string[] {
  const { errors, warnings } = validateModel(model);
  if (errors.length) {
    const more = errors.length > 5 ? ` (and ${errors.length - 5} more)` : '';
    throw new InvalidModelError(`the model is not valid: ${errors.slice(0, 5).join('; ')}${more}`);
  }
  return warnings;
}

function nodeLabel(node: NodeProto, index: number): string {
  return `node ${node.name ? `"${short(node.name)}"` : `#${index}`} (${node.opType})`;
}

/** Names can be hostile (a megabyte long): messages show at most 80 characters. */
function short(name: string): string {
  return name.length > 80 ? `${name.slice(0, 77)}...` : name;
}

function checkGraph(graph: GraphProto, outer: Set<string>, where: string, out: ModelValidation) {
  const defined = new Set(outer);
  const initNames = new Set<string>();
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? '';
    if (initNames.has(name))
      out.errors.push(`${where} has two initializers named "${short(name)}"`);
    initNames.add(name);
    defined.add(name);
  }
  for (const input of graph.input ?? []) defined.add(input.name ?? '');
  const producedLater = new Set<string>();
  for (const node of graph.node ?? [])
    for (const o of node.output ?? []) if (o) producedLater.add(o);
  (graph.node ?? []).forEach((node, i) => {
    for (const name of node.input ?? []) {
      if (!name || defined.has(name)) continue;
      out.errors.push(
        producedLater.has(name)
          ? `${nodeLabel(node, i)} in ${where} reads "${short(name)}" before it is computed (a cycle)`
          : `${nodeLabel(node, i)} in ${where} reads "${short(name)}", which nothing defines`,
      );
    }
    for (const attr of node.attribute ?? []) {
      const subgraphs = attr.g ? [attr.g] : (attr.graphs ?? []);
      for (const sub of subgraphs) {
        checkGraph(sub, defined, `${attr.name} of ${nodeLabel(node, i)}`, out);
      }
    }
    for (const o of node.output ?? []) if (o) defined.add(o);
    if (node.opType === 'Conv' && (node.domain ?? '') === '') checkConv(graph, node, i, out);
  });
}

function checkConv(graph: GraphProto, node: NodeProto, i: number, out: ModelValidation) {
  const label = nodeLabel(node, i);
  const weight = (graph.initializer ?? []).find((t) => t.name === node.input?.[1]);
  const strides = attrInts(node, 'strides') ?? [];
  const dilations = attrInts(node, 'dilations') ?? [];
  if (strides.some((s) => s < 1)) out.errors.push(`${label} has a stride below 1`);
  if (dilations.some((d) => d < 1)) out.errors.push(`${label} has a dilation below 1`);
  if ((attrInts(node, 'pads') ?? []).some((p) => p < 0))
    out.errors.push(`${label} has negative pads`);
  const group = attrInt(node, 'group', 1);
  if (group < 1) out.errors.push(`${label} has group ${group}`);
  if (!weight) return;
  const w = weight.dims ?? [];
  if (w.length < 3) {
    out.errors.push(`${label} has a weight of ${w.length} dims; a Conv weight has at least 3`);
    return;
  }
  const kernel = attrInts(node, 'kernel_shape');
  if (kernel && kernel.join(',') !== w.slice(2).join(',')) {
    out.errors.push(
      `${label}: kernel_shape [${kernel.join(', ')}] contradicts its weight [${w.join(', ')}]`,
    );
  }
  if (group > 1 && w[0] % group !== 0) {
    out.errors.push(`${label}: group ${group} does not divide its ${w[0]} output channels`);
  }
}

function checkWeights(model: OnnxModel, out: ModelValidation) {
  const inits = new Map((model.graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const t of inits.values()) {
    const dims = t.dims ?? [];
    if (dims.some((d) => d < 0)) {
      out.errors.push(`tensor "${short(t.name ?? '')}" has a negative dimension`);
      continue;
    }
    // Element counts are bounded by the bytes present, so a header cannot claim 10^12 weights.
    const count = elementCount(dims);
    const want = rawByteLength(t.dataType ?? 0, count);
    if (t.rawData && want !== null && t.rawData.length !== want) {
      out.errors.push(
        `tensor "${short(t.name ?? '')}" declares ${count} elements but holds ${t.rawData.length} bytes`,
      );
    }
  }
  (model.graph.node ?? []).forEach((node, i) => {
    if (!WEIGHT_OPS.has(node.opType ?? '') || (node.domain ?? '') !== '') return;
    const weight = inits.get(node.input?.[1] ?? '');
    if (!weight) return;
    const type = weight.dataType ?? 0;
    if (!FLOAT_TYPES.has(type)) {
      out.warnings.push(
        `${nodeLabel(node, i)}: weight is ${dataTypeName(type)}, already quantized; left as it is`,
      );
      return;
    }
    let values: Float32Array;
    try {
      values = tensorToFloat32(weight);
    } catch {
      return; // the byte-count error above says why
    }
    checkFinite(values, nodeLabel(node, i), weight.name ?? '', out);
  });
}

function checkFinite(values: Float32Array, label: string, tensor: string, out: ModelValidation) {
  let max = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!Number.isFinite(v)) {
      out.errors.push(
        `${label}: weight "${short(tensor)}" holds ${Number.isNaN(v) ? 'NaN' : 'an infinite value'} (element ${k}); the layer cannot be compressed or run`,
      );
      return;
    }
    max = Math.max(max, Math.abs(v));
  }
  // The median, not the RMS: one huge value in a small tensor dominates its own RMS.
  const step = Math.max(1, Math.floor(values.length / MEDIAN_SAMPLE));
  const sample = Float64Array.from({ length: Math.ceil(values.length / step) }, (_, i) =>
    Math.abs(values[i * step]),
  ).sort();
  const median = sample[sample.length >> 1];
  if (median > 0 && max > OUTLIER_RATIO * median) {
    out.warnings.push(
      `${label}: weight "${short(tensor)}" has an extreme outlier (${max.toExponential(2)}, ${Math.round(max / median)}x its median magnitude); the compressed layer's error will be dominated by it`,
    );
  }
}
