// Stage 1 of the pipeline: the model parsed and its layers discovered once, at batch 1 (the
// cost model wants static numbers; onnxruntime fills what static inference cannot), for every
// later stage: jobs, the rewrite, calibration and the check run.

import { analyzeModel } from '../onnx/analyzeModel.ts';
import { graphInputs, modelInputShape } from '../onnx/graphInputs.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import { readModel } from '../onnx/reader.ts';
import type { Dim } from '../onnx/shapes/dims.ts';
import type { OnnxModel } from '../onnx/types.ts';
import type { RewriteLayer } from '../rewrite/types.ts';
import { assertValidModel } from './validate.ts';

export interface PreparedModel {
  /** The original file, never modified. */
  bytes: Uint8Array;
  /** Parsed once; stages that edit a graph parse their own copy from `bytes`. */
  model: OnnxModel;
  layers: LayerInfo[];
  /** The layers as the rewrite and the cost model see them. */
  rewriteLayers: RewriteLayer[];
  /** Why some shapes stay unknown (their MACs and BOPs are unknown), if any. */
  shapeWarning: string | null;
  /** What the validator flagged without refusing (outliers, already-quantized weights). */
  warnings: string[];
}

export interface PrepareOptions {
  /** Concrete shapes for graph inputs; symbolic dims not given are taken as 1. */
  inputShapes?: Record<string, readonly Dim[]>;
}

export async function prepareModel(
  bytes: Uint8Array,
  options: PrepareOptions = {},
): Promise<PreparedModel> {
  const model = readModel(bytes);
  // Nothing is solved for, or written from, a graph that cannot run (validate.ts).
  const warnings = assertValidModel(model);
  const input = graphInputs(model)[0];
  const inputShapes = options.inputShapes ?? (input?.name ? { [input.name]: batchOne(model) } : {});
  const analysis = await analyzeModel(model, { inputShapes });
  const layers = analysis.layers;
  return {
    bytes,
    model,
    layers,
    rewriteLayers: layers.map(toRewriteLayer),
    shapeWarning: analysis.runtimeError ?? null,
    warnings,
  };
}

function batchOne(model: OnnxModel): Dim[] {
  return modelInputShape(model).map((d, i) => (i === 0 || typeof d !== 'number' ? 1 : d));
}

function toRewriteLayer(l: LayerInfo): RewriteLayer {
  return {
    name: l.name,
    nodeIndex: l.nodeIndex,
    op: l.op,
    weightName: l.weightName,
    biasName: l.biasName ?? null,
    weightShape: l.weightShape,
    inputShape: l.inputShape,
    outputShape: l.outputShape,
    macs: l.macs,
    group: l.group,
  };
}

/** Output tensors of the named layers in the original graph, in graph order. */
export function layerOutputs(prepared: PreparedModel, names: Iterable<string>): string[] {
  const wanted = new Set(names);
  const nodes = prepared.model.graph.node ?? [];
  return prepared.layers
    .filter((l) => wanted.has(l.name))
    .map((l) => nodes[l.nodeIndex].output?.[0] ?? '');
}
