// Every Conv, ConvTranspose, Gemm, MatMul and recurrent layer (LSTM, GRU, RNN) of a model, the
// subgraphs of If/Loop/Scan included: each is either a compressible layer (LayerInfo, layers.ts)
// or a "not compressed" entry whose reason says why in plain words, so no weight node is silently
// left out of the count.
import { dataTypeName, elementCount } from './tensor.ts';
import { DataType, type GraphProto, type NodeProto, type TensorProto } from './types.ts';

export const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
/** The reason for a weight that no constant chain computes ahead (layers.ts names the producer). */
export const RUNTIME_WEIGHT = 'weight is computed at run time';
/** Recurrent layers: weights W (input 1), R (input 2) and bias B (input 3). */
export const RECURRENT_OPS = new Set(['LSTM', 'GRU', 'RNN']);

export interface SkippedLayer {
  /** Node name, or "Conv_3" style fallback. */
  name: string;
  op: string;
  /** "main graph", or the subgraph path, e.g. "inside If branch then_branch". */
  where: string;
  /** The constant weight's shape when there is one. */
  weightShape: number[] | null;
  /** Weight plus bias elements when they are constants (0 otherwise). */
  params: number;
  reason: string;
}

export function isDefaultDomain(n: NodeProto): boolean {
  return !n.domain || n.domain === 'ai.onnx';
}

export function isWeightNode(n: NodeProto): boolean {
  const op = n.opType ?? '';
  return isDefaultDomain(n) && (WEIGHT_OPS.has(op) || RECURRENT_OPS.has(op));
}

/** The weight and bias a weight node reads (a recurrent layer: W and B; its R counts in params). */
function weightSlots(node: NodeProto): { weight: string; extra: (string | undefined)[] } {
  const op = node.opType ?? '';
  const inputs = node.input ?? [];
  if (RECURRENT_OPS.has(op)) return { weight: inputs[1] ?? '', extra: [inputs[2], inputs[3]] };
  return { weight: inputs[1] ?? '', extra: op === 'MatMul' ? [] : [inputs[2]] };
}

/** Constants visible in a graph: its initializers and Constant-node tensors (by value name). */
function constantsOf(graph: GraphProto, outer: Map<string, TensorProto>): Map<string, TensorProto> {
  const map = new Map(outer);
  for (const t of graph.initializer ?? []) map.set(t.name ?? '', t);
  for (const n of graph.node ?? []) {
    const t = n.opType === 'Constant' ? n.attribute?.find((a) => a.name === 'value')?.t : undefined;
    if (t && n.output?.[0]) map.set(n.output[0], t);
  }
  return map;
}

/** Weight plus bias (and recurrence) elements that are constants. */
function paramsOf(node: NodeProto, constants: ReadonlyMap<string, TensorProto>): number {
  const { weight, extra } = weightSlots(node);
  return [weight, ...extra]
    .map((name) => (name ? constants.get(name) : undefined))
    .reduce((n, t) => n + (t ? elementCount(t.dims ?? []) : 0), 0);
}

/**
 * Why a main-graph weight node cannot be a LayerInfo, or null when it can. `constants` holds the
 * initializers (after normalizeModel, Constant nodes and foldable chains are initializers too).
 */
export function skipReason(
  node: NodeProto,
  constants: ReadonlyMap<string, TensorProto>,
  graphInputs: ReadonlySet<string>,
  producers: ReadonlyMap<string, NodeProto> = new Map(),
): string | null {
  const op = node.opType ?? '';
  if (op === 'ConvTranspose' || RECURRENT_OPS.has(op))
    return quantizedOnlyReason(node, constants, producers);
  const [x, w] = [node.input?.[0] ?? '', node.input?.[1] ?? ''];
  const weight = constants.get(w);
  if (!weight) {
    if ((op === 'MatMul' || op === 'Gemm') && constants.has(x)) {
      return 'the constant is the first operand (W·x): only x·W is compressed';
    }
    if (op === 'MatMul') return 'no constant operand: both inputs are computed at run time';
    return graphInputs.has(w) ? 'weight is a model input, not a constant' : RUNTIME_WEIGHT;
  }
  const type = weight.dataType ?? 0;
  if (type === DataType.BFLOAT16) {
    // Conv has no bfloat16 form in ONNX, and onnxruntime no bfloat16 Gemm/MatMul kernels on CPU
    // or WebAssembly: neither the original nor a compressed model could be run and checked.
    return 'weight type BFLOAT16: not compressed (onnxruntime, which runs every written model, cannot run bfloat16 layers: convert the model to float16 or float32 first)';
  }
  if (type === DataType.FLOAT16 || type === DataType.DOUBLE) {
    // Never seen after normalizeModel, which computes such models in float32 (floatCompute.ts).
    return `weight type ${dataTypeName(type)}: compressed once the model is normalised to float32 compute`;
  }
  if (type !== DataType.FLOAT) {
    return `weight type ${dataTypeName(type)}: not compressed (integer weights are already quantized)`;
  }
  const rank = weight.dims?.length ?? 0;
  if (op !== 'Conv' && rank !== 2) return `weight has ${rank} dims: not compressed`;
  return null;
}

/**
 * What happens to a constant float weight inside a body (src/core/rewrite/subgraphWeights.ts):
 * nothing that runs the model on data reaches a body's tensors, so it is never factorized.
 */
export const SUBGRAPH_QUANTIZED =
  "not factorized (layers in subgraphs are quantized only, per channel, with the main graph's layers that are not factorized)";

/**
 * A constant weight the rewrite quantizes without factorizing (src/core/rewrite/fixedWeights.ts)
 * when it is float32 of the form its op computes with: Conv/ConvTranspose [O, I, k...],
 * Gemm/MatMul 2-D, LSTM/GRU/RNN W and R 3-D.
 */
export function quantizedOnlyWeight(node: NodeProto, t: TensorProto): boolean {
  if (t.dataType !== DataType.FLOAT) return false;
  const rank = t.dims?.length ?? 0;
  const op = node.opType ?? '';
  if (RECURRENT_OPS.has(op)) return rank === 3;
  return op === 'Conv' || op === 'ConvTranspose' ? rank >= 3 : rank === 2;
}

/** Ops that only pick, reorder or reshape values: what they make of constants is a constant. */
const REARRANGING_OPS = new Set([
  'Identity',
  'Unsqueeze',
  'Squeeze',
  'Reshape',
  'Concat',
  'Slice',
  'Transpose',
]);

/** A float32 constant of rank >= 2 read by `node` at input `slot`. */
export interface RearrangedSource {
  name: string;
  node: NodeProto;
  slot: number;
}

/**
 * The float32 constants (rank >= 2) a recurrent weight is rearranged from in its graph, with the
 * nodes reading them: Silero VAD v5 builds its LSTM's W from Slice, Concat and Unsqueeze of
 * PyTorch's weight_ih (gates reordered). Null when anything else computes it. Quantizing such a
 * source per row quantizes the weight per gate row; its readers are untouched either way.
 */
export function rearrangedSources(
  name: string,
  constants: ReadonlyMap<string, TensorProto>,
  producers: ReadonlyMap<string, NodeProto>,
): RearrangedSource[] | null {
  const sources: RearrangedSource[] = [];
  const seen = new Set<string>();
  const pending = [name];
  while (pending.length) {
    const value = pending.pop()!;
    if (seen.has(value) || seen.size > 64) continue;
    seen.add(value);
    const node = producers.get(value);
    if (!node || !isDefaultDomain(node) || !REARRANGING_OPS.has(node.opType ?? '')) return null;
    const data = node.opType === 'Concat' ? (node.input ?? []) : (node.input ?? []).slice(0, 1);
    for (const [slot, input] of data.entries()) {
      const t = constants.get(input);
      if (!t) {
        pending.push(input);
        continue;
      }
      if (t.dataType !== DataType.FLOAT || (t.dims?.length ?? 0) < 2) return null;
      sources.push({ name: input, node, slot });
    }
  }
  return sources.length ? sources : null;
}

/** The node producing each value of a graph. */
export function producersOf(graph: GraphProto): Map<string, NodeProto> {
  const out = new Map<string, NodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) out.set(o, n);
  return out;
}

/** Whether a recurrent node's W and R are both constants the rewrite quantizes (directly or at
 * the source they are rearranged from). */
function recurrentQuantized(
  node: NodeProto,
  constants: ReadonlyMap<string, TensorProto>,
  producers: ReadonlyMap<string, NodeProto>,
): boolean {
  return [1, 2].every((slot) => {
    const name = node.input?.[slot] ?? '';
    const t = constants.get(name);
    if (t) return quantizedOnlyWeight(node, t);
    return rearrangedSources(name, constants, producers) !== null;
  });
}

/** Why ConvTranspose and recurrent layers are not LayerInfo, whether or not they are quantized. */
function quantizedOnlyReason(
  node: NodeProto,
  constants: ReadonlyMap<string, TensorProto>,
  producers: ReadonlyMap<string, NodeProto> = new Map(),
): string {
  const op = node.opType ?? '';
  const w = constants.get(node.input?.[1] ?? '');
  const quantized = RECURRENT_OPS.has(op)
    ? recurrentQuantized(node, constants, producers)
    : w !== undefined && quantizedOnlyWeight(node, w);
  if (op === 'ConvTranspose') {
    return quantized
      ? 'ConvTranspose: not factorized (quantized only, per output channel, with the layers that are not factorized)'
      : 'ConvTranspose: not compressed (its weight is not a float32 constant; kept as it is)';
  }
  return quantized
    ? `${op}: not factorized (weights W and R quantized only, per gate row, with the layers that are not factorized)`
    : `${op}: recurrent weights are not compressed (not float32 constants; kept as they are)`;
}

function where(parent: NodeProto, attr: string): string {
  const op = parent.opType ?? '';
  return op === 'If' ? `inside If branch ${attr}` : `inside ${op} ${attr}`;
}

function subgraphReason(
  node: NodeProto,
  weight: TensorProto | undefined,
  constants: ReadonlyMap<string, TensorProto>,
  producers: ReadonlyMap<string, NodeProto>,
): string {
  if (RECURRENT_OPS.has(node.opType ?? '')) return quantizedOnlyReason(node, constants, producers);
  return weight && quantizedOnlyWeight(node, weight)
    ? SUBGRAPH_QUANTIZED
    : 'layers in subgraphs are not compressed';
}

/** The weight nodes of every subgraph, each reported as not compressed. */
export function subgraphWeightNodes(graph: GraphProto): SkippedLayer[] {
  const out: SkippedLayer[] = [];
  const visit = (g: GraphProto, path: string, outer: Map<string, TensorProto>) => {
    const constants = constantsOf(g, outer);
    const producers = producersOf(g);
    (g.node ?? []).forEach((node, i) => {
      if (path && isWeightNode(node)) {
        const weight = constants.get(weightSlots(node).weight);
        out.push({
          name: node.name || `${node.opType}_${i}`,
          op: node.opType ?? '',
          where: path,
          weightShape: weight ? [...(weight.dims ?? [])] : null,
          params: paramsOf(node, constants),
          reason: `${path}: ${subgraphReason(node, weight, constants, producers)}`,
        });
      }
      for (const a of node.attribute ?? []) {
        const inner = (sub: GraphProto) =>
          visit(sub, [path, where(node, a.name ?? '')].filter(Boolean).join(' > '), constants);
        if (a.g) inner(a.g);
        for (const sub of a.graphs ?? []) inner(sub);
      }
    });
  };
  visit(graph, '', new Map());
  return out;
}

/** A main-graph weight node reported as not compressed. */
export function skippedMainNode(
  node: NodeProto,
  nodeIndex: number,
  constants: ReadonlyMap<string, TensorProto>,
  reason: string,
): SkippedLayer {
  const weight = constants.get(weightSlots(node).weight);
  return {
    name: node.name || `${node.opType}_${nodeIndex}`,
    op: node.opType ?? '',
    where: 'main graph',
    weightShape: weight ? [...(weight.dims ?? [])] : null,
    params: paramsOf(node, constants),
    reason,
  };
}

/** "3 x weight is computed at run time; 2 x ConvTranspose: ..." (most frequent first). */
export function skipReasons(skipped: readonly SkippedLayer[], limit = 4): string {
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  const parts = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => (n > 1 ? `${n} x ${reason}` : reason));
  const more = parts.length > limit ? `; and ${parts.length - limit} more reasons` : '';
  return parts.slice(0, limit).join('; ') + more;
}

const ADVICE: [RegExp, string][] = [
  [
    /^inside /,
    'export the model without If/Loop/Scan control flow (trace the branch you use) so its layers sit in the main graph',
  ],
  [
    /computed at run time|first operand/,
    'export with constant folding on (torch.onnx.export(..., do_constant_folding=True)) so weights are stored as constants',
  ],
  [/^weight type /, 'convert the model to float32 weights first'],
  [/model input/, 'store the weights in the model instead of feeding them as inputs'],
];

/** One sentence for a model with no compressible layer: what was seen, why, what to try. */
export function noLayerMessage(skipped: readonly SkippedLayer[]): string {
  if (skipped.length === 0) {
    return 'no layer to compress: the model has no Conv, ConvTranspose, Gemm, MatMul, LSTM, GRU or RNN node';
  }
  const advice = ADVICE.find(([re]) => skipped.some((s) => re.test(s.reason)))?.[1];
  // Quantize-only weights are quantized alone by a quantizing run (pipeline/quantizeOnly.ts).
  const alone = skipped.some((s) => s.reason.includes('quantized only'))
    ? '; a PTQ or QAF run still quantizes the weights that are quantized only (alone: per channel at the other-weights bits, nothing factorized)'
    : '';
  return (
    `no layer to compress: none of the model's ${skipped.length} weight ` +
    `nodes (Conv, ConvTranspose, Gemm, MatMul, LSTM, GRU, RNN) can be compressed (${skipReasons(skipped)})${alone}${advice ? `; suggestion: ${advice}` : ''}`
  );
}
