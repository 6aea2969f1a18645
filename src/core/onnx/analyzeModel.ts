// One model overview for every front end (CLI inspect, the model worker, the sweep): static shape
// inference, the onnxruntime pass only when some op had no static rule, then layers and totals.
import { discoverLayers, type LayerInfo } from './layers.ts';
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
  shapes: InferredShapes;
  layers: LayerInfo[];
  summary: ModelSummary;
  /** True when onnxruntime had to run the model to find some shapes. */
  usedRuntime: boolean;
  /** Why that run failed, if it did (those shapes and MACs stay unknown). */
  runtimeError?: string;
}

export async function analyzeModel(
  model: OnnxModel,
  options: AnalyzeOptions = {},
): Promise<ModelAnalysis> {
  const inputShapes = options.inputShapes ?? {};
  let shapes = inferShapes(model, { inputShapes });
  let runtimeError: string | undefined;
  const usedRuntime = shapes.unresolved.length > 0;
  if (usedRuntime) {
    try {
      shapes = await inferShapesWithRuntime(model, inputShapes);
    } catch (err) {
      // The static shapes still describe most layers; say why the rest are unknown.
      runtimeError = err instanceof Error ? err.message.split('\n')[0] : String(err);
    }
  }
  const layers = discoverLayers(model, shapes);
  return { shapes, layers, summary: summarizeModel(model, layers), usedRuntime, runtimeError };
}
