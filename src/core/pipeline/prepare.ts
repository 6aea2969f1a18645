// Stage 1 of the pipeline: the model parsed, normalised (src/core/onnx/normalize.ts: Constant
// weights, constant chains, unfolded BatchNorm) and its layers discovered once, at batch 1 (the
// cost model wants static numbers; onnxruntime fills what static inference cannot), for every
// later stage: jobs, the rewrite, calibration and the check run.

import { analyzeModel } from '../onnx/analyzeModel.ts';
import { type InterfaceTypes, interfaceTypes, widenedFloatType } from '../onnx/floatCompute.ts';
import { graphInputs, modelInputShape } from '../onnx/graphInputs.ts';
import type { SkippedLayer } from '../onnx/layerCensus.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import { readModel, writeModel } from '../onnx/reader.ts';
import type { Dim } from '../onnx/shapes/dims.ts';
import type { OnnxModel } from '../onnx/types.ts';
import type { RewriteLayer } from '../rewrite/types.ts';
import { assertValidModel } from './validate.ts';

export interface PreparedModel {
  /**
   * The model every later stage works on and compares with: the original file, or, when
   * normalisation changed the graph, its normalised form (it computes the same function).
   */
  bytes: Uint8Array;
  /** The file as given, never modified. */
  sourceBytes: Uint8Array;
  /** `bytes` parsed once; stages that edit a graph parse their own copy from `bytes`. */
  model: OnnxModel;
  layers: LayerInfo[];
  /** Weight nodes left as they are, each with the reason in plain words. */
  skipped: SkippedLayer[];
  /** What normalisation changed, one line each (empty: `bytes` is the original file). */
  normalization: string[];
  /** The layers as the rewrite and the cost model see them. */
  rewriteLayers: RewriteLayer[];
  /** Why some shapes stay unknown (their MACs and BOPs are unknown), if any. */
  shapeWarning: string | null;
  /** What the validator flagged without refusing (outliers, already-quantized weights). */
  warnings: string[];
  /** The input shapes the layers were measured at (the check runs generated inputs at them). */
  inputShapes: Record<string, readonly Dim[]>;
  /**
   * A float16 or double original: `bytes`/`model` are its float32 twin, and these inputs and
   * outputs get their element type back in the written model (pipeline/floatInterface.ts).
   */
  floatInterface?: InterfaceTypes | null;
}

export interface PrepareOptions {
  /** Concrete shapes for graph inputs; symbolic dims not given are taken as 1. */
  inputShapes?: Record<string, readonly Dim[]>;
}

export async function prepareModel(
  bytes: Uint8Array,
  options: PrepareOptions = {},
): Promise<PreparedModel> {
  const source = readModel(bytes);
  // Nothing is solved for, or written from, a graph that cannot run (validate.ts).
  const warnings = assertValidModel(source);
  const input = graphInputs(source)[0];
  const inputShapes =
    options.inputShapes ?? (input?.name ? { [input.name]: batchOne(source) } : {});
  const analysis = await analyzeModel(source, { inputShapes });
  const { model, layers } = analysis;
  const symbolic = symbolicShapeWarning(source, options.inputShapes ?? {});
  if (symbolic) warnings.push(symbolic);
  return {
    bytes: model === source ? bytes : writeModel(model),
    sourceBytes: bytes,
    model,
    layers,
    skipped: analysis.skipped,
    normalization: analysis.summary.normalization,
    rewriteLayers: layers.map(toRewriteLayer),
    shapeWarning: analysis.runtimeError ?? null,
    warnings,
    inputShapes,
    floatInterface: widenedFloatType(source) === null ? null : interfaceTypes(source),
  };
}

/**
 * One sentence for graph inputs with symbolic dims after the batch dim that were given no shape:
 * they run as 1, so the MACs and a check on generated inputs are at that size; null otherwise.
 */
export function symbolicShapeWarning(
  model: OnnxModel,
  given: Record<string, readonly Dim[]>,
): string | null {
  const open = graphInputs(model).flatMap((v) => {
    if (!v.name || given[v.name]) return [];
    const dims = (v.type?.tensorType?.shape?.dim ?? []).slice(1);
    const names = dims
      .map((d) => d.dimValue ?? d.dimParam ?? '?')
      .filter((d) => typeof d !== 'number');
    return names.length ? [`"${v.name}" (${names.join(', ')})`] : [];
  });
  if (!open.length) return null;
  return (
    `input ${open.join(', ')} has symbolic dimensions and no shape was given: they are taken as 1, ` +
    'so the MACs, and a check on generated inputs, are at that size (a check that it runs, not a measure); ' +
    "give the input shape (the app's input shape form, qaf compress --input-shape) or check on arrays at the real size (qaf compress --check-data)"
  );
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

/** Runs of the model that would need more activation memory than this are not attempted. */
export const MAX_RUN_ACTIVATION_BYTES = 256 * 2 ** 20;

/**
 * Bytes of the largest layer input or output for one sample (float32; symbolic dims as 1): a
 * model declared at 3x4000x4000 must not be run just to check it (issue #17: 3.8 GB).
 */
export function largestActivationBytes(prepared: PreparedModel): number {
  let most = 0;
  const size = (shape: readonly (number | string)[] | undefined) =>
    (shape ?? [])
      .slice(1)
      .reduce<number>((p, d) => p * (typeof d === 'number' ? Math.max(1, d) : 1), 4);
  for (const l of prepared.layers) most = Math.max(most, size(l.inputShape), size(l.outputShape));
  return most;
}
