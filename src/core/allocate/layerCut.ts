// The graph cut that makes a per-layer sensitivity cheap. For one layer L with output y, three
// models made from the original:
//   prefix: the original pruned to the tensors the rest needs (run once per layer),
//   layer:  L alone, its data input and its weight fed (run once per option),
//   suffix: everything downstream of y that the scores need, fed y and the prefix's tensors
//           (the "frontier": e.g. a residual block's skip input), run once per option.
// So an option pays for L and the part of the network after it, never for the part before.
// Assumes a topologically sorted graph (the ONNX rule) and no control-flow subgraph reading
// tensors of the outer graph implicitly.
import { makeValueInfo } from '../onnx/builders.ts';
import { prunedToOutputs } from '../onnx/graphOutputs.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import {
  DataType,
  type GraphProto,
  type NodeProto,
  type OnnxModel,
  type ValueInfoProto,
} from '../onnx/types.ts';

export interface LayerCut {
  /** The layer's data input and its output. */
  input: string;
  output: string;
  /** The graph input carrying the images (the prefix's and the scores' feed). */
  imageInput: string;
  /** The scores output of the model (its first output). */
  scores: string;
  /** Tensors the suffix reads besides the layer output, in graph order. */
  frontier: string[];
  /** Prefix outputs: `input`, `output` and the frontier, minus the image input. */
  prefix: OnnxModel | null;
  prefixOutputs: string[];
  /** L alone; feeds `input` and the weight (by its initializer name). */
  layer: OnnxModel;
  /** Fed `output` and the frontier, computes `scores`; null when `output` is the scores. */
  suffix: OnnxModel | null;
  /** False when the scores do not depend on this layer (its sensitivity is nil). */
  reachesScores: boolean;
}

/** Tensors computable without any graph input: initializers and constant-only node outputs. */
function constantTensors(graph: GraphProto): Set<string> {
  const constant = new Set<string>((graph.initializer ?? []).map((t) => t.name ?? ''));
  constant.add('');
  const graphInputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
  for (const name of graphInputs) constant.delete(name);
  for (const node of graph.node ?? []) {
    const inputs = node.input ?? [];
    if (inputs.every((i) => constant.has(i))) for (const o of node.output ?? []) constant.add(o);
  }
  return constant;
}

function elemTypeOf(graph: GraphProto, name: string): number {
  const all = [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])];
  return all.find((v) => v.name === name)?.type?.tensorType?.elemType ?? DataType.FLOAT;
}

function subModel(model: OnnxModel, graph: GraphProto): OnnxModel {
  return { ...model, metadataProps: undefined, graph };
}

/** Initializers read by `nodes`, minus `exclude`. */
function initializersFor(graph: GraphProto, nodes: readonly NodeProto[], exclude: Set<string>) {
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  return (graph.initializer ?? []).filter(
    (t) => used.has(t.name ?? '') && !exclude.has(t.name ?? ''),
  );
}

export function cutAtLayer(model: OnnxModel, layer: LayerInfo): LayerCut {
  const graph = model.graph;
  const nodes = graph.node ?? [];
  const node = nodes[layer.nodeIndex];
  const input = node.input?.[0] ?? '';
  const output = node.output?.[0] ?? '';
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const imageInput = (graph.input ?? []).find((v) => !initNames.has(v.name ?? ''))?.name ?? '';
  const scores = graph.output?.[0]?.name ?? '';
  const constant = constantTensors(graph);
  for (const extra of (node.input ?? []).slice(2)) {
    if (extra && !initNames.has(extra)) {
      throw new Error(`layer ${layer.name}: input "${extra}" is not an initializer`);
    }
  }

  // Tensors downstream of the layer's output (the layer's own output included).
  const downstream = new Set([output]);
  for (let i = layer.nodeIndex + 1; i < nodes.length; i++) {
    if ((nodes[i].input ?? []).some((t) => downstream.has(t))) {
      for (const o of nodes[i].output ?? []) downstream.add(o);
    }
  }
  const reachesScores = downstream.has(scores);

  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) producer.set(o, i);
  });
  const keep = new Set<number>();
  const frontier = new Set<string>();
  const stack = reachesScores && scores !== output ? [scores] : [];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t) || t === output || t === '') continue;
    seen.add(t);
    if (initNames.has(t)) continue;
    const p = producer.get(t);
    if (p !== undefined && (downstream.has(t) || constant.has(t))) {
      keep.add(p);
      stack.push(...(nodes[p].input ?? []));
    } else frontier.add(t);
  }
  const frontierList = [...frontier].sort(
    (a, b) => (producer.get(a) ?? -1) - (producer.get(b) ?? -1),
  );

  const suffixNodes = nodes.filter((_, i) => keep.has(i));
  const valueInfo = (name: string): ValueInfoProto => makeValueInfo(name, elemTypeOf(graph, name));
  const suffix =
    reachesScores && scores !== output
      ? subModel(model, {
          name: `${graph.name ?? 'graph'}-suffix`,
          node: suffixNodes,
          input: [valueInfo(output), ...frontierList.map(valueInfo)],
          output: (graph.output ?? []).filter((o) => o.name === scores),
          initializer: initializersFor(graph, suffixNodes, new Set()),
        })
      : null;

  const weightInfo = makeValueInfo(layer.weightName, DataType.FLOAT, layer.weightShape);
  const layerModel = subModel(model, {
    name: `${graph.name ?? 'graph'}-layer`,
    node: [node],
    input: [valueInfo(input), weightInfo],
    output: [valueInfo(output)],
    initializer: initializersFor(graph, [node], new Set([layer.weightName])),
  });

  const prefixOutputs = [...new Set([input, output, ...frontierList])].filter(
    (t) => t !== imageInput,
  );
  const prefix = prefixOutputs.length
    ? subModel(model, prunedToOutputs(model, prefixOutputs).graph)
    : null;
  return {
    input,
    output,
    imageInput,
    scores,
    frontier: frontierList,
    prefix,
    prefixOutputs,
    layer: layerModel,
    suffix,
    reachesScores,
  };
}
