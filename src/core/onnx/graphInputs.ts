// The model's real inputs: older exporters also list every initializer as a graph input.
import type { OnnxModel, ValueInfoProto } from './types.ts';

/** Graph inputs that are not initializers, in graph order. */
export function graphInputs(model: OnnxModel): ValueInfoProto[] {
  const initializers = new Set((model.graph.initializer ?? []).map((t) => t.name));
  return (model.graph.input ?? []).filter((v) => !initializers.has(v.name));
}

/** The first real input's shape: numbers for fixed dims, names for symbolic ones, else '?'. */
export function modelInputShape(model: OnnxModel): (number | string)[] {
  const dims = graphInputs(model)[0]?.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) => d.dimValue ?? d.dimParam ?? '?');
}
