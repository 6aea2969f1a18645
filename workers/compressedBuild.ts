// The eval worker's build step: layer results from the compression pool -> the core pipeline
// (write, calibrate, check) -> compressed .onnx bytes and report. Lives beside the datasets
// (they stay in this worker) so no image crosses to the page.
import { makeCalibrationBatches } from '../src/core/calibrate/batches.ts';
import { APP_CALIBRATION_IMAGES } from '../src/core/calibrate/defaults.ts';
import type { Dataset, PreprocessSpec } from '../src/core/data/types.ts';
import type { LayerResult } from '../src/core/factor/types.ts';
import { compressModel, prepareModel, type RunCheck } from '../src/core/pipeline/index.ts';
import type { CompressionReport } from '../src/core/rewrite/index.ts';
import type { ProgressCallback } from '../src/core/util/progress.ts';

export interface BuildRequest {
  /** The original model file; transferred. */
  modelBytes: ArrayBuffer;
  results: LayerResult[];
  /** 2..8, or 32 to leave the other layers float. */
  otherWeightBits: number;
  /** 8 or 32 (float activations). */
  actBits: number;
  /** Match per-channel output statistics of the original after compressing. */
  calibrate: boolean;
  calibrationDatasetId: string | null;
  spec?: PreprocessSpec;
}

export interface BuildResult {
  bytes: Uint8Array;
  report: CompressionReport;
  calibrated: boolean;
  /** Model runs the calibration made (0 when not calibrated). */
  calibrationRuns: number;
  /** The written model run next to the original in onnxruntime. */
  check: RunCheck | null;
}

export async function buildCompressed(
  request: BuildRequest,
  calibrationSet: Dataset | null,
  onProgress?: ProgressCallback,
  signal?: AbortSignal,
): Promise<BuildResult> {
  const prepared = await prepareModel(new Uint8Array(request.modelBytes));
  const batches = calibrationSet
    ? makeCalibrationBatches(prepared.model, calibrationSet, {
        images: APP_CALIBRATION_IMAGES,
        spec: request.spec,
      })
    : null;
  const built = await compressModel({
    prepared,
    results: request.results,
    output: { otherWeightBits: request.otherWeightBits, actBits: request.actBits },
    calibration: batches && { batches, calibrate: request.calibrate },
    signal,
    onProgress,
  });
  return {
    bytes: built.bytes,
    report: built.report,
    calibrated: built.calibrated,
    calibrationRuns: built.calibrationRuns,
    check: built.check,
  };
}
