// Stage 3: layer results -> the compressed .onnx (factorized layers, INT4/INT8 weights, optional
// 8-bit activations whose ranges come from the calibration images) and its report.
import { actCalibrationFromBatches, activationRangeProbe } from '../calibrate/activationRanges.ts';
import { ACT_CALIBRATION_IMAGES } from '../calibrate/defaults.ts';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import type { LayerResult } from '../factor/types.ts';
import type { Kernels } from '../kernels/types.ts';
import { readModel } from '../onnx/reader.ts';
import { buildCompressedModel, type CompressedModel } from '../rewrite/compressModel.ts';
import type { WeightForm } from '../rewrite/weightForm.ts';
import type { LatencyGuardSettings } from './latencyGuard.ts';
import type { PreparedModel } from './prepare.ts';

export interface OutputSettings {
  /** Weight bits of the layers not compressed: 2-8, or 32 to keep them float (default 8). */
  otherWeightBits?: number;
  /** 8 quantizes activations (needs calibration images); 32 (default) keeps them float. */
  actBits?: number;
  /** How activation ranges are taken: min-max (default) or the 99.99 % percentile. */
  actMethod?: 'minmax' | 'percentile';
  /** Images of the calibration batches used for activation ranges (default 256). */
  actImages?: number;
  /**
   * How constant weights are dequantized (rewrite/weightForm.ts): 'dequantize' (default)
   * DequantizeLinear at every run; 'load' once when the session is created (same file size,
   * faster); 'float' float32 weights in the file. Applied after calibration, before the check.
   */
  weightForm?: WeightForm;
  /**
   * Time each factorized conv alone against the original conv and write the slower ones as one
   * conv computed from their factors at load (pipeline/latencyGuard.ts; implies weightForm 'load').
   */
  latencyGuard?: LatencyGuardSettings;
}

export async function writeCompressedModel(
  prepared: PreparedModel,
  results: readonly LayerResult[],
  output: OutputSettings,
  batches: readonly CalibrationBatch[] | null,
  kernels?: Kernels,
): Promise<CompressedModel> {
  const actBits = output.actBits ?? 32;
  if (actBits < 32 && !batches?.length) {
    throw new Error('8-bit activations need calibration images for their ranges');
  }
  const probe =
    actBits < 32 && batches
      ? activationRangeProbe(
          actCalibrationFromBatches(
            batches,
            output.actImages ?? ACT_CALIBRATION_IMAGES,
            output.actMethod,
          ),
        )
      : undefined;
  // A fresh parse: the rewrite edits the graph it is given.
  return buildCompressedModel(readModel(prepared.bytes), prepared.rewriteLayers, results, {
    otherWeightBits: output.otherWeightBits,
    actBits,
    activationRanges: probe,
    // The user's file, not its normalised form: sizes compare with what they gave.
    floatSizeBytes: prepared.sourceBytes.length,
    kernels,
  });
}
