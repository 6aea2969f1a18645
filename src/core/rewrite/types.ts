// Inputs, options and the report of the compressed-model rewrite.
import type { CostLayer, CostMethod } from '../cost/costModel.ts';
import type { LayerResult } from '../factor/types.ts';
import type { Kernels } from '../kernels/types.ts';
import type { OnnxModel } from '../onnx/types.ts';

/** The model cannot be rewritten as asked; the message names the layer or op and why. */
export class RewriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RewriteError';
  }
}

/** The subset of the ONNX layer discovery's LayerInfo that the rewrite needs. */
export interface RewriteLayer extends CostLayer {
  /** Index of the layer's node in graph.node of the model given to the rewrite. */
  nodeIndex: number;
  weightName: string;
  biasName?: string | null;
}

export interface ActRange {
  min: number;
  max: number;
}

/**
 * Runs `model` on calibration inputs and returns the range of each named tensor. Supplied by the
 * caller (src/core/calibrate/activationRanges.ts), so the rewrite never runs a model itself.
 */
export type ActivationRangeProbe = (
  model: OnnxModel,
  tensorNames: readonly string[],
) => Promise<Map<string, ActRange>>;

export interface RewriteOptions {
  /**
   * Weight bits of layers without a result: 8 (per-channel INT8 DequantizeLinear) by default
   * when any quantization is on, 32 leaves them float.
   */
  otherWeightBits?: number;
  /**
   * 8 inserts QuantizeLinear/DequantizeLinear on every input of every weight node (layer inputs
   * and the tensors inside factorized chains); 32 (default) none.
   */
  actBits?: number;
  /** Activation ranges; needed when actBits < 32. */
  activationRanges?: ActivationRangeProbe;
  /** uint8 (asymmetric, default) or int8 (symmetric) activation codes. */
  actType?: 'uint8' | 'int8';
  /** Size of the float model's file, for the report (default: the re-encoded input model). */
  floatSizeBytes?: number;
  /** Kernels for quantizing the other layers (the engine's PTQ); default the plain-JS ones. */
  kernels?: Kernels;
  /**
   * false leaves float the weights quantized only outside the layer list (ConvTranspose,
   * LSTM/GRU/RNN, layers inside If/Loop/Scan bodies: fixedWeights.ts); default true. The peer
   * of bench/fixedWeights.ts.
   */
  fixedWeights?: boolean;
}

/** Names inside the rewritten graph that calibration after compression needs to change. */
export interface LayerNames {
  /** Scale initializer of the last factor (or of the PTQ weight); null when float. */
  lastWeightScaleName: string | null;
  /** Bias initializer of the layer's last node; null when the layer has no bias. */
  biasName: string | null;
  /** The layer's output tensor (unchanged from the original model). */
  outputName: string;
  /** Every compute node the layer became, in order (DequantizeLinear nodes not included). */
  nodeNames: string[];
  /** Every initializer the layer's nodes read (codes, scales, float weights, bias). */
  initializerNames: string[];
  /**
   * Tensors between the layer's factors (the inputs of its second and later compute nodes), in
   * order; empty when the layer is not factorized. Activation Q/DQ goes on these too.
   */
  chainTensorNames: string[];
}

export interface LayerReport {
  name: string;
  method: CostMethod;
  rank: number;
  /** Weight bits the layer runs at (32 for float). */
  bits: number;
  /** Relative weight error ||W - W_hat|| / ||W||; 0 for untouched float layers. */
  error: number;
  macs: number;
  bops: number;
  /** Bytes of the initializers the layer uses in the written file. */
  bytes: number;
}

export interface ReportTotals {
  params: number;
  macs: number;
  bops: number;
  bopPercent: number;
  /** Size of the written .onnx file. */
  sizeBytes: number;
  idealWeightBytes: number;
  floatSizeBytes: number;
}

export interface CompressionReport {
  layers: LayerReport[];
  totals: ReportTotals;
  otherWeightBits: number;
  actBits: number;
  opsetVersion: number;
  irVersion: number;
  notes: string[];
}

export type { LayerResult };
