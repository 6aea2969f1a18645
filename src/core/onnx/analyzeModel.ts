// One model overview for every front end (CLI inspect, the model worker, the pipeline): the
// normalisation pass (normalize.ts), static shape inference, the onnxruntime pass only when some
// op had no static rule, then the layer census and totals. Everyone who shows or compresses
// layers goes through here, so inspect, the app and the pipeline agree on names and counts.
import { graphInputs } from './graphInputs.ts';
import type { SkippedLayer } from './layerCensus.ts';
import { type LayerInfo, layerCensus } from './layers.ts';
import { normalizeModel } from './normalize.ts';
import { inferShapesWithRuntime } from './runtimeShapes.ts';
import type { Dim } from './shapes/dims.ts';
import { type InferredShapes, inferShapes } from './shapes/inferShapes.ts';
import { type ModelSummary, summarizeModel } from './summary.ts';
import type { OnnxModel } from './types.ts';

export interface AnalyzeOptions {
  /** Concrete graph input shapes (symbolic dims not given run as 1 in the runtime pass). */
  inputShapes?: Record<string, readonly Dim[]>;
}

export interface ModelAnalysis {
  /**
   * The normalised model the layers refer to (nodeIndex, weightName): the very object given
   * when normalisation changed nothing.
   */
  model: OnnxModel;
  shapes: InferredShapes;
  layers: LayerInfo[];
  /** Weight nodes that are not compressed, with the reason (also in `summary`). */
  skipped: SkippedLayer[];
  summary: ModelSummary;
  /** True when onnxruntime had to run the model to find some shapes. */
  usedRuntime: boolean;
  /** Why that run failed, if it did (those shapes and MACs stay unknown). */
  runtimeError?: string;
}

export async function analyzeModel(
  original: OnnxModel,
  options: AnalyzeOptions = {},
): Promise<ModelAnalysis> {
  const { model, notes } = normalizeModel(original);
  const inputShapes = options.inputShapes ?? {};
  let shapes = inferShapes(model, { inputShapes });
  let runtimeError: string | undefined;
  const probeElements = largestInputElements(model, inputShapes);
  const tooLarge = probeElements > MAX_PROBE_INPUT_ELEMENTS;
  const usedRuntime = shapes.unresolved.length > 0 && !tooLarge;
  if (shapes.unresolved.length > 0 && tooLarge) {
    // A 1 MB model declared at 3x4000x4000 once took 3.8 GB and 47 s to probe (issue #17).
    runtimeError =
      `the declared input (${probeElements.toLocaleString('en-US')} values) is too large to ` +
      'probe shapes by running the model; pass a smaller input shape';
  }
  if (usedRuntime) {
    try {
      shapes = await inferShapesWithRuntime(model, inputShapes);
    } catch (err) {
      // The static shapes still describe most layers; say why the rest are unknown.
      runtimeError = err instanceof Error ? err.message.split('\n')[0] : String(err);
    }
  }
  const { layers, skipped } = layerCensus(model, shapes);
  const summary = summarizeModel(model, layers, { notCompressed: skipped, normalization: notes });
  return { model, shapes, layers, skipped, summary, usedRuntime, runtimeError };
}

/** Shape probing runs the model; inputs larger than this (per sample set) are not run. */
export const MAX_PROBE_INPUT_ELEMENTS = 16 * 2 ** 20;

/** Values of the largest graph input at the given or declared shape (symbolic dims as 1). */
function largestInputElements(model: OnnxModel, inputShapes: Record<string, readonly Dim[]>) {
  let most = 0;
  for (const input of graphInputs(model)) {
    const given = inputShapes[input.name ?? ''];
    const dims: readonly Dim[] =
      given ?? (input.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0) || 1);
    most = Math.max(
      most,
      dims.reduce<number>((p, d) => p * (typeof d === 'number' ? Math.max(1, d) : 1), 1),
    );
  }
  return most;
}
