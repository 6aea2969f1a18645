// A small editor over a cloned graph: fresh unique names, new initializers, and node
// replacements keyed by the original node index (so LayerInfo.nodeIndex stays valid until the
// edit is committed in one pass, which keeps the topological order of the original graph).
import type { AttributeProto, NodeProto, OnnxModel, TensorProto } from '../onnx/types.ts';
import { RewriteError } from './types.ts';

export class GraphEditor {
  readonly model: OnnxModel;
  private readonly used = new Set<string>();
  private readonly initializers = new Map<string, TensorProto>();
  private readonly replacements = new Map<number, NodeProto[]>();
  private readonly before = new Map<number, NodeProto[]>();

  constructor(model: OnnxModel) {
    this.model = structuredClone(model);
    const g = this.model.graph;
    for (const t of g.initializer ?? []) {
      this.initializers.set(t.name ?? '', t);
      this.used.add(t.name ?? '');
    }
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
      this.used.add(v.name ?? '');
    }
    for (const n of g.node ?? []) {
      if (n.name) this.used.add(n.name);
      for (const s of [...(n.input ?? []), ...(n.output ?? [])]) this.used.add(s);
    }
  }

  get nodes(): NodeProto[] {
    return this.model.graph.node ?? [];
  }

  /**
   * `base`, or `base_2`, `base_3` ... whichever is not yet a name in the graph. A long base (a
   * hostile or generated megabyte-long node name) is cut and made unique by a hash, so derived
   * names stay short however many are made from it.
   */
  unique(longBase: string): string {
    const base = shortName(longBase);
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  initializer(name: string): TensorProto {
    const t = this.initializers.get(name);
    if (!t) throw new RewriteError(`"${name}" is not an initializer of the model`);
    return t;
  }

  hasInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /** Adds an initializer; its name must come from `unique`. */
  addInitializer(t: TensorProto): string {
    const g = this.model.graph;
    g.initializer = g.initializer ?? [];
    g.initializer.push(t);
    this.initializers.set(t.name ?? '', t);
    return t.name ?? '';
  }

  replaceNode(index: number, nodes: NodeProto[]): void {
    if (this.replacements.has(index)) throw new RewriteError(`node ${index} is rewritten twice`);
    this.replacements.set(index, nodes);
  }

  /** Nodes to run right before node `index` (e.g. activation Q/DQ on its input). */
  insertBefore(index: number, nodes: NodeProto[]): void {
    this.before.set(index, [...(this.before.get(index) ?? []), ...nodes]);
  }

  /** Applies replacements and insertions, then drops initializers no node reads any more. */
  commit(): OnnxModel {
    const g = this.model.graph;
    const out: NodeProto[] = [];
    this.nodes.forEach((n, i) => {
      out.push(...(this.before.get(i) ?? []));
      out.push(...(this.replacements.get(i) ?? [n]));
    });
    g.node = out;
    this.replacements.clear();
    this.before.clear();
    this.dropUnusedInitializers();
    return this.model;
  }

  private dropUnusedInitializers(): void {
    const g = this.model.graph;
    const read = new Set<string>((g.output ?? []).map((o) => o.name ?? ''));
    for (const n of g.node ?? []) for (const s of n.input ?? []) read.add(s);
    // Subgraphs (If/Loop bodies) may read outer initializers: keep everything they mention.
    for (const n of g.node ?? []) for (const a of n.attribute ?? []) collectSubgraphInputs(a, read);
    const dropped = new Set<string>();
    g.initializer = (g.initializer ?? []).filter((t) => {
      const keep = read.has(t.name ?? '');
      if (!keep) dropped.add(t.name ?? '');
      return keep;
    });
    for (const name of dropped) this.initializers.delete(name);
    // IR < 4 lists initializers among the graph inputs too.
    if (g.input) g.input = g.input.filter((v) => !dropped.has(v.name ?? ''));
  }
}

function collectSubgraphInputs(a: AttributeProto, read: Set<string>): void {
  for (const sub of [a.g, ...(a.graphs ?? [])]) {
    if (!sub) continue;
    for (const n of sub.node ?? []) {
      for (const s of n.input ?? []) read.add(s);
      for (const b of n.attribute ?? []) collectSubgraphInputs(b, read);
    }
  }
}

/** Derived names keep at most this many characters of their base. */
const MAX_NAME = 96;

/** The name itself when short; else its first characters and an FNV-1a hash of the whole. */
export function shortName(name: string): string {
  if (name.length <= MAX_NAME) return name;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${name.slice(0, MAX_NAME - 10)}~${h.toString(16).padStart(8, '0')}`;
}
