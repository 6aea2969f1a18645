// Whole-model figures for the inspect view and the CLI.
import type { SkippedLayer } from './layerCensus.ts';
import type { LayerInfo } from './layers.ts';
import type { Shape } from './shapes/dims.ts';
import { defaultOpset, valueInfoShape } from './shapes/inferShapes.ts';
import { elementCount } from './tensor.ts';
import { DataType, type OnnxModel, type ValueInfoProto } from './types.ts';

export interface IoInfo {
  name: string;
  elemType?: number;
  shape?: Shape;
}

export interface ModelSummary {
  /**
   * Parameters of the weight layers (weights + biases of every Conv/Gemm/MatMul found):
   * 269,034 for ResNet-20, 850,986 for ResNet-56 as published. With BatchNorm folded this equals
   * `floatInitializerElements`; an unfolded BatchNorm's scale/shift/mean/var count only there.
   */
  params: number;
  /** Elements of every floating-point initializer (FLOAT, FLOAT16, DOUBLE, BFLOAT16). */
  floatInitializerElements: number;
  /** Sum over layers, per example; null if any layer's MACs are unknown. */
  macs: number | null;
  /** Weight layers the pipeline can compress (factorize or quantize). */
  layerCount: number;
  factorizableCount: number;
  /**
   * Every other Conv, ConvTranspose, Gemm and MatMul (subgraphs included), each with the reason
   * it is not compressed; the UI and `qaf inspect` show them, so nothing is a silent 0.
   */
  notCompressed: SkippedLayer[];
  /** What normalizeModel changed before the layers were found (Constant nodes, folded BN...). */
  normalization: string[];
  /** Version of the default (ai.onnx) opset. */
  opset: number;
  irVersion: number;
  producer: string;
  inputs: IoInfo[];
  outputs: IoInfo[];
}

const FLOAT_TYPES = new Set<number>([
  DataType.FLOAT,
  DataType.FLOAT16,
  DataType.DOUBLE,
  DataType.BFLOAT16,
]);

function ioInfo(v: ValueInfoProto, initializers: Set<string>): IoInfo[] {
  const name = v.name ?? '';
  if (initializers.has(name)) return [];
  return [{ name, elemType: v.type?.tensorType?.elemType, shape: valueInfoShape(v) }];
}

export function summarizeModel(
  model: OnnxModel,
  layers: readonly LayerInfo[],
  extra: { notCompressed?: readonly SkippedLayer[]; normalization?: readonly string[] } = {},
): ModelSummary {
  const graph = model.graph;
  const initializers = graph.initializer ?? [];
  const initNames = new Set(initializers.map((t) => t.name ?? ''));
  const macs = layers.some((l) => l.macs === null)
    ? null
    : layers.reduce((s, l) => s + (l.macs ?? 0), 0);
  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ');
  return {
    params: layers.reduce((s, l) => s + l.params, 0),
    floatInitializerElements: initializers
      .filter((t) => FLOAT_TYPES.has(t.dataType ?? 0))
      .reduce((s, t) => s + elementCount(t.dims ?? []), 0),
    macs,
    layerCount: layers.length,
    factorizableCount: layers.filter((l) => l.factorizable).length,
    notCompressed: [...(extra.notCompressed ?? [])],
    normalization: [...(extra.normalization ?? [])],
    opset: defaultOpset(model),
    irVersion: model.irVersion ?? 0,
    producer,
    inputs: (graph.input ?? []).flatMap((v) => ioInfo(v, initNames)),
    outputs: (graph.output ?? []).flatMap((v) => ioInfo(v, new Set())),
  };
}
