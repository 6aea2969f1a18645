// Graph edits that change what a model outputs: expose inner tensors as graph outputs (to read
// activations) and prune the graph to what those outputs need (to measure an early layer without
// running the rest). Generic ONNX surgery, used by calibration and activation-range probes alike.
import type { OnnxModel } from './types.ts';
import { DataType } from './types.ts';

/** A copy of the model whose graph also outputs `names` (float tensors of any shape). */
export function withGraphOutputs(model: OnnxModel, names: readonly string[]): OnnxModel {
  const existing = new Set((model.graph.output ?? []).map((o) => o.name));
  const extra = names
    .filter((n) => !existing.has(n))
    .map((name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } }));
  return { ...model, graph: { ...model.graph, output: [...(model.graph.output ?? []), ...extra] } };
}

/**
 * A copy of the model that computes only `names` (made graph outputs): nodes they do not depend
 * on are dropped, so measuring an early layer does not pay for the rest of the network.
 */
export function prunedToOutputs(model: OnnxModel, names: readonly string[]): OnnxModel {
  const nodes = model.graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) producer.set(o, i);
  });
  const keep = new Set<number>();
  const stack = [...names];
  while (stack.length) {
    const i = producer.get(stack.pop()!);
    if (i === undefined || keep.has(i)) continue;
    keep.add(i);
    stack.push(...(nodes[i].input ?? []));
  }
  const used = new Set(nodes.filter((_, i) => keep.has(i)).flatMap((n) => n.input ?? []));
  const initializerNames = new Set((model.graph.initializer ?? []).map((t) => t.name));
  const graph = {
    ...model.graph,
    // Old IRs list initializers among the inputs too: a dropped one must not stay a required feed.
    input: (model.graph.input ?? []).filter(
      (v) => !initializerNames.has(v.name) || used.has(v.name ?? ''),
    ),
    node: nodes.filter((_, i) => keep.has(i)),
    initializer: (model.graph.initializer ?? []).filter((t) => used.has(t.name ?? '')),
    output: [],
  };
  return withGraphOutputs({ ...model, graph }, names);
}
