// The eval worker's rewrite step: layer results -> compressed .onnx bytes and report, with
// activation scales and calibration after compression taken from the calibration set. Lives
// beside the datasets (they stay in this worker) so no image crosses to the page.
import { makeCalibrationBatches } from '../src/core/calibrate/batches.ts';
import { calibrateModel } from '../src/core/calibrate/calibrateModel.ts';
import type { Dataset, PreprocessSpec, ProgressCallback } from '../src/core/data/types.ts';
import type { LayerResult } from '../src/core/factor/types.ts';
import { readModel } from '../src/core/onnx/reader.ts';
import { type CompressionReport, writeCompressed } from '../src/core/rewrite/index.ts';

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
}

/** Images used for activation scales and calibration statistics (class-balanced). */
const CALIBRATION_IMAGES = 256;

export async function buildCompressed(
  request: BuildRequest,
  calibrationSet: Dataset | null,
  onProgress?: ProgressCallback,
  signal?: AbortSignal,
): Promise<BuildResult> {
  const modelBytes = new Uint8Array(request.modelBytes);
  if (request.actBits < 32 && !calibrationSet) {
    throw new Error('8-bit activations need a calibration set for their scales');
  }
  onProgress?.({ status: 'rewriting', loaded: 0, total: 1, progress: 0 });
  const built = await writeCompressed({
    modelBytes,
    results: request.results,
    otherWeightBits: request.otherWeightBits,
    actBits: request.actBits,
    calibration: calibrationSet
      ? { dataset: calibrationSet, spec: request.spec, count: 256 }
      : undefined,
  });
  onProgress?.({ status: 'rewriting', loaded: 1, total: 1, progress: 1 });
  if (!request.calibrate || !calibrationSet) {
    return { bytes: built.bytes, report: built.report, calibrated: false, calibrationRuns: 0 };
  }
  // Graph order of the compressed layers is the order of their names in the rewrite's map.
  const layerOutputs = [...built.names.entries()]
    .filter(([name]) => request.results.some((r) => r.name === name))
    .map(([, names]) => names.outputName);
  const batches = makeCalibrationBatches(readModel(modelBytes), calibrationSet, {
    images: CALIBRATION_IMAGES,
    spec: request.spec,
  });
  const calibrated = await calibrateModel({
    referenceBytes: modelBytes,
    compressedBytes: built.bytes,
    layerOutputs,
    batches,
    signal,
    onProgress,
  });
  const report = {
    ...built.report,
    totals: { ...built.report.totals, sizeBytes: calibrated.bytes.length },
    notes: [...built.report.notes, `calibrated after compression (${calibrated.runs} model runs)`],
  };
  return { bytes: calibrated.bytes, report, calibrated: true, calibrationRuns: calibrated.runs };
}
