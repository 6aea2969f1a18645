// Moving a whole model, subgraphs included, to a later default-domain opset with the per-op
// conversions of opsetRules.ts. Pure graph surgery; the callers decide where new constants go
// (rewrite/opset.ts for the compressed model, raiseOpset below for the preflight's dry run).
import { makeTensor } from './builders.ts';
import { freshName, indexGraph, subgraphsOf } from './graphIndex.ts';
import { type ConvertContext, conversionProblem, convertNode } from './opsetRules.ts';
import { defaultOpset, inferShapes } from './shapes/inferShapes.ts';
import type { GraphProto, NodeProto, OnnxModel } from './types.ts';

export { type ConvertContext, conversionProblem, convertNode };

/** Minimum IR version for an opset (onnx/helper.py VERSION_TABLE). */
export function irVersionFor(opset: number): number {
  if (opset >= 23) return 11;
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 12) return 7;
  if (opset >= 11) return 6;
  if (opset >= 10) return 5;
  return 3;
}

/** Every node of `graph` and of its subgraphs, with a path for messages. */
export function forEachNode(
  graph: GraphProto,
  visit: (node: NodeProto, where: string) => void,
  where = '',
): void {
  for (const n of graph.node ?? []) {
    visit(n, where);
    for (const a of n.attribute ?? []) {
      for (const sub of subgraphsOf(a)) {
        const path = `${where}${where ? ' > ' : ''}${n.opType} ${a.name}`;
        forEachNode(sub, visit, path);
      }
    }
  }
}

/** The first node of the model (subgraphs included) that cannot move to `to`, as a sentence. */
export function opsetUpgradeProblem(graph: GraphProto, from: number, to: number): string | null {
  let found: string | null = null;
  forEachNode(graph, (n, where) => {
    if (found) return;
    const problem = conversionProblem(n, from, to);
    if (!problem) return;
    const inside = where ? ` inside ${where}` : '';
    found =
      `cannot raise the model from opset ${from} to ${to}: ${n.opType} (node "${n.name ?? ''}"${inside}): ` +
      `${problem}, and it is not converted`;
  });
  return found;
}

/** Every value and node name in the subgraphs of `graph` (the main graph's names aside). */
function subgraphNames(graph: GraphProto): Set<string> {
  const names = new Set<string>();
  forEachNode(graph, (n, where) => {
    if (!where) return;
    if (n.name) names.add(n.name);
    for (const s of [...(n.input ?? []), ...(n.output ?? [])]) names.add(s);
  });
  return names;
}

/** A name generator that also avoids the names used inside subgraphs. */
export function uniqueAcross(graph: GraphProto, unique: (base: string) => string) {
  const taken = subgraphNames(graph);
  return (base: string): string => {
    let name = unique(base);
    while (taken.has(name)) name = unique(base);
    taken.add(name);
    return name;
  };
}

function subgraphContext(sub: GraphProto, unique: (base: string) => string): ConvertContext {
  return {
    unique,
    constant(base, dataType, dims, values) {
      const name = unique(base);
      sub.initializer = [...(sub.initializer ?? []), makeTensor(name, dataType, dims, values)];
      return name;
    },
    rankOf: () => undefined,
    elemTypeOf: () => undefined,
  };
}

/** Converts, in place, the subgraphs (If/Loop/Scan bodies) of `node`, recursively. */
export function convertSubgraphs(
  node: NodeProto,
  from: number,
  to: number,
  unique: (base: string) => string,
): void {
  for (const a of node.attribute ?? []) {
    for (const sub of subgraphsOf(a)) {
      const ctx = subgraphContext(sub, unique);
      const nodes: NodeProto[] = [];
      for (const n of sub.node ?? []) {
        convertSubgraphs(n, from, to, unique);
        nodes.push(...convertNode(n, from, to, ctx));
      }
      sub.node = nodes;
    }
  }
}

/**
 * A copy of `model` at default-domain opset `to` (never lower), every changed op converted;
 * throws with the reason when one cannot be. The preflight runs it next to the original to
 * prove the conversion before any solving.
 */
export function raiseOpset(model: OnnxModel, to: number): OnnxModel {
  const out = structuredClone(model);
  const from = defaultOpset(out);
  if (from >= to) return out;
  const problem = opsetUpgradeProblem(out.graph, from, to);
  if (problem) throw new Error(problem);
  const index = indexGraph(out.graph);
  const unique = uniqueAcross(out.graph, (base) => freshName(index, base));
  const shapes = inferShapes(out);
  const g = out.graph;
  const ctx: ConvertContext = {
    unique,
    constant(base, dataType, dims, values) {
      const name = unique(base);
      g.initializer = [...(g.initializer ?? []), makeTensor(name, dataType, dims, values)];
      return name;
    },
    rankOf: (v) => shapes.shapes.get(v)?.length,
    elemTypeOf: (v) => shapes.elemTypes.get(v),
  };
  g.node = (g.node ?? []).flatMap((n) => {
    convertSubgraphs(n, from, to, unique);
    return convertNode(n, from, to, ctx);
  });
  out.opsetImport = [
    { domain: '', version: to },
    ...(out.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx'),
  ];
  out.irVersion = Math.max(out.irVersion ?? 0, irVersionFor(to));
  return out;
}
