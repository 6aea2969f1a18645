// What the model worker sends to the page: summaries only. The parsed model and its weights
// stay in the worker under `modelId`, for the later steps (compression, download). Types only:
// the worker and the page's bridge (src/app/bridge/modelTypes.ts re-exports them) share them.
import type { LayerInfo, ModelSummary } from '../../src/core/onnx/index.ts';

export interface ModelOverview {
  modelId: string;
  fileName: string;
  sizeBytes: number;
  summary: ModelSummary;
  layers: LayerInfo[];
  /** The concrete shapes used for inference, when the user gave some. */
  inputShapes: InputShapes | null;
  /** Weights outside `layers` that a run quantizes only (with the other layers' bits). */
  quantizedOnly?: QuantizedOnlyWeights;
}

/**
 * ConvTranspose, LSTM/GRU/RNN W and R and layers inside If/Loop/Scan bodies: quantized per channel
 * at the other layers' bits, never factorized (src/core/rewrite/fixedWeights.ts).
 */
export interface QuantizedOnlyWeights {
  /** The nodes reading them, with where they are, e.g. "up (main graph)". */
  layers: string[];
  /** Weight tensors (one shared by both branches of an If counts once). */
  weights: number;
  /** Their elements and per-channel scales (cost: quantizedOnlyBytes). */
  params: number;
  channels: number;
}

/** Concrete input shapes by input name, e.g. { input: [1, 3, 224, 224] }. */
export type InputShapes = Record<string, number[]>;

/** The result of creating an onnxruntime-web session for the loaded model. */
export interface RuntimeCheck {
  /** e.g. "onnxruntime-web 1.30.0 wasm". */
  runtime: string;
  threads: number;
  createMs: number;
}
