// Who produces and who reads each value of a graph (subgraph bodies included, since an If/Loop
// body may read any outer value), for the passes that edit a graph in place.
import type { AttributeProto, GraphProto, NodeProto, TensorProto } from './types.ts';

export interface GraphIndex {
  initializers: Map<string, TensorProto>;
  producer: Map<string, NodeProto>;
  /** Nodes of this graph reading the value, one entry per input slot. */
  consumers: Map<string, NodeProto[]>;
  /** Values read inside subgraphs (they may name outer values implicitly). */
  subgraphReads: Set<string>;
  graphOutputs: Set<string>;
  /** Every name in use (values and node names), for fresh names. */
  names: Set<string>;
}

export function subgraphsOf(a: AttributeProto): GraphProto[] {
  return [a.g, ...(a.graphs ?? [])].filter((g): g is GraphProto => g !== undefined);
}

function collectSubgraphReads(node: NodeProto, out: Set<string>): void {
  for (const a of node.attribute ?? []) {
    for (const sub of subgraphsOf(a)) {
      for (const n of sub.node ?? []) {
        for (const s of n.input ?? []) out.add(s);
        collectSubgraphReads(n, out);
      }
      for (const o of sub.output ?? []) out.add(o.name ?? '');
    }
  }
}

export function indexGraph(graph: GraphProto): GraphIndex {
  const index: GraphIndex = {
    initializers: new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t])),
    producer: new Map(),
    consumers: new Map(),
    subgraphReads: new Set(),
    graphOutputs: new Set((graph.output ?? []).map((o) => o.name ?? '')),
    names: new Set(),
  };
  for (const t of graph.initializer ?? []) index.names.add(t.name ?? '');
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])])
    index.names.add(v.name ?? '');
  for (const n of graph.node ?? []) {
    if (n.name) index.names.add(n.name);
    for (const o of n.output ?? []) {
      if (o) index.producer.set(o, n);
      index.names.add(o);
    }
    for (const s of n.input ?? []) {
      if (!s) continue;
      index.names.add(s);
      const list = index.consumers.get(s);
      if (list) list.push(n);
      else index.consumers.set(s, [n]);
    }
    collectSubgraphReads(n, index.subgraphReads);
  }
  return index;
}

/** `base`, or `base_2`, `base_3`... whichever is free; the name is then taken. */
export function freshName(index: GraphIndex, base: string): string {
  let name = base;
  for (let i = 2; index.names.has(name); i++) name = `${base}_${i}`;
  index.names.add(name);
  return name;
}

/** Reads of `name` anywhere: node inputs, subgraph bodies, graph outputs. */
export function readCount(index: GraphIndex, name: string): number {
  return (
    (index.consumers.get(name)?.length ?? 0) +
    (index.subgraphReads.has(name) ? 1 : 0) +
    (index.graphOutputs.has(name) ? 1 : 0)
  );
}

/** Drops initializers nothing reads (and their IR < 4 graph-input twins); returns how many. */
export function dropUnreadInitializers(graph: GraphProto): number {
  const index = indexGraph(graph);
  const dropped = new Set<string>();
  graph.initializer = (graph.initializer ?? []).filter((t) => {
    const keep = readCount(index, t.name ?? '') > 0;
    if (!keep) dropped.add(t.name ?? '');
    return keep;
  });
  if (dropped.size && graph.input)
    graph.input = graph.input.filter((v) => !dropped.has(v.name ?? ''));
  return dropped.size;
}

/** Drops value_info entries of values that no longer exist (folded away). */
export function dropStaleValueInfo(graph: GraphProto): void {
  if (!graph.valueInfo) return;
  const live = new Set<string>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) live.add(o);
  for (const t of graph.initializer ?? []) live.add(t.name ?? '');
  for (const v of graph.input ?? []) live.add(v.name ?? '');
  graph.valueInfo = graph.valueInfo.filter((v) => live.has(v.name ?? ''));
}
