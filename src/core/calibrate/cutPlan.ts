// Where sequential calibration can cut the network so that no step runs again what an earlier
// one computed. Step k measures layer k's output with layers 1..k-1 already corrected: it runs the
// nodes layer k depends on that no earlier step ran, fed with the tensors earlier steps left at
// the cut. Every node runs once. A corrected layer's output is not recomputed: the correction is
// a per-channel affine of it (affine.ts), so the cached output is corrected in place. With
// residual connections a cut crosses several tensors (the block input skips over the convs):
// they are found here by graph analysis, not assumed, and each is freed after the last step that
// reads it.
//
// Constant sub-graphs (DequantizeLinear of a weight, Constant nodes: nothing depends on a graph
// input) are not cut: every step that needs one runs it from the initializers.
import type { GraphProto, NodeProto } from '../onnx/types.ts';

export interface CutStep {
  /** The layer output this step measures. */
  layer: string;
  /** Data-flow nodes this step runs (indices into graph.node, ascending). */
  nodes: number[];
  /** Constant nodes those need (indices, ascending). */
  constants: number[];
  /** Tensors the step is fed: the model's inputs or tensors cached by earlier steps. */
  inputs: string[];
  /** Tensors produced here that later steps read (the layer output among them when it is read
   * later): cached until their last reader has run. */
  keep: string[];
  /** Cached tensors no later step reads once this one has run. */
  release: string[];
}

export interface CutPlan {
  steps: CutStep[];
  /** The model's own (non-initializer) inputs: fed from the calibration batches, never cached. */
  graphInputs: string[];
}

/**
 * The steps of sequential calibration from cached activations, or null when the graph has
 * something this analysis does not cover (nested graphs, a layer output no node produces, layers
 * out of graph order): the caller then re-runs from the input at every step.
 */
export function planCutSteps(graph: GraphProto, layerOutputs: readonly string[]): CutPlan | null {
  const { nodes, initializers, graphInputs, producer, dataFlow } = indexGraph(graph);
  if (nodes.some(hasSubgraph)) return null;
  const layerNodes = layerOutputs.map((name) => producer.get(name));
  if (layerNodes.some((i) => i === undefined || !dataFlow[i])) return null;
  const laterLayer = new Map(layerNodes.map((node, k) => [node!, k]));

  const done = new Set<number>();
  const ranIn = new Map<number, number>();
  const steps: CutStep[] = [];
  const lastReader = new Map<string, number>();
  for (let k = 0; k < layerOutputs.length; k++) {
    const layerNode = layerNodes[k]!;
    const run = ancestors(nodes, producer, layerNode)
      .filter((i) => dataFlow[i] && !done.has(i))
      .sort((a, b) => a - b);
    // A later layer feeding this one would be measured before its upstream is corrected.
    if (run.some((i) => (laterLayer.get(i) ?? -1) > k)) return null;
    const inRun = new Set(run);
    const inputs = new Set<string>();
    const constants = new Set<number>();
    for (const i of run) {
      for (const t of nodes[i].input ?? []) {
        if (!t || initializers.has(t)) continue;
        const p = producer.get(t);
        if (p === undefined) inputs.add(t);
        else if (!dataFlow[p]) addConstants(nodes, producer, p, constants);
        else if (!inRun.has(p)) {
          inputs.add(t);
          steps[ranIn.get(p)!].keep.push(t);
          lastReader.set(t, k);
        }
      }
    }
    for (const i of run) {
      ranIn.set(i, k);
      done.add(i);
    }
    steps.push({
      layer: layerOutputs[k],
      nodes: run,
      constants: [...constants].sort((a, b) => a - b),
      inputs: [...inputs],
      keep: [],
      release: [],
    });
  }
  for (const [tensor, k] of lastReader) steps[k].release.push(tensor);
  for (const step of steps) step.keep = [...new Set(step.keep)];
  return { steps, graphInputs };
}

function indexGraph(graph: GraphProto) {
  const nodes = graph.node ?? [];
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const graphInputs = (graph.input ?? [])
    .map((v) => v.name ?? '')
    .filter((n) => n && !initializers.has(n));
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o) producer.set(o, i);
  });
  const dataFlow = dataFlowNodes(nodes, producer, new Set(graphInputs));
  return { nodes, initializers, graphInputs, producer, dataFlow };
}

function hasSubgraph(node: NodeProto): boolean {
  return (node.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length > 0));
}

/** Which nodes depend on a graph input (the rest only read initializers and constants). */
function dataFlowNodes(
  nodes: readonly NodeProto[],
  producer: Map<string, number>,
  graphInputs: Set<string>,
): boolean[] {
  const memo: (boolean | undefined)[] = new Array(nodes.length);
  const visit = (root: number): boolean => {
    // Iterative post-order: deep networks would overflow a recursive walk.
    const stack: number[] = [root];
    while (stack.length) {
      const i = stack[stack.length - 1];
      if (memo[i] !== undefined) {
        stack.pop();
        continue;
      }
      const pending = (nodes[i].input ?? [])
        .map((t) => producer.get(t))
        .filter((p): p is number => p !== undefined && memo[p] === undefined);
      if (pending.length) {
        stack.push(...pending);
        continue;
      }
      memo[i] = (nodes[i].input ?? []).some((t) => {
        const p = producer.get(t);
        return p === undefined ? graphInputs.has(t) : memo[p] === true;
      });
      stack.pop();
    }
    return memo[root]!;
  };
  return nodes.map((_, i) => visit(i));
}

/** The node and every node it depends on, transitively. */
function ancestors(nodes: readonly NodeProto[], producer: Map<string, number>, root: number) {
  const seen = new Set<number>([root]);
  const stack = [root];
  while (stack.length) {
    for (const t of nodes[stack.pop()!].input ?? []) {
      const p = producer.get(t);
      if (p !== undefined && !seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return [...seen];
}

function addConstants(
  nodes: readonly NodeProto[],
  producer: Map<string, number>,
  root: number,
  into: Set<number>,
): void {
  for (const i of ancestors(nodes, producer, root)) into.add(i);
}

/**
 * Whole-network passes of runs truncated after the given tensors, one run per entry: data-flow
 * nodes run over those all of them need (what re-running from the input costs).
 */
export function truncatedPasses(
  graph: GraphProto,
  measuredPerRun: readonly (readonly string[])[],
): number {
  const { nodes, producer, dataFlow } = indexGraph(graph);
  const needed = (names: readonly string[]) => {
    const all = new Set<number>();
    for (const name of names) {
      const p = producer.get(name);
      if (p === undefined) continue;
      for (const i of ancestors(nodes, producer, p)) if (dataFlow[i]) all.add(i);
    }
    return all;
  };
  const runs = measuredPerRun.map((names) => needed(names).size);
  const whole = needed(measuredPerRun.flat()).size;
  return whole ? runs.reduce((a, b) => a + b, 0) / whole : 0;
}
