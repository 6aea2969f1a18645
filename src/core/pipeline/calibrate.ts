// Stage 4: calibration after compression (src/core/calibrate) of a written model, with the
// report's size and notes kept true to the calibrated file.
import type { AffineOptions } from '../calibrate/affine.ts';
import { type CalibrationStrategy, calibrateModel } from '../calibrate/calibrateModel.ts';
import type { ChannelStats } from '../calibrate/channelStats.ts';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import type { CompressionReport } from '../rewrite/types.ts';
import type { ProgressCallback } from '../util/progress.ts';
import { layerOutputs, type PreparedModel } from './prepare.ts';

export interface CalibrationSettings {
  strategy?: CalibrationStrategy;
  passes?: number;
  affine?: AffineOptions;
}

export interface CalibratedModel {
  bytes: Uint8Array;
  report: CompressionReport;
  /** Model runs the calibration made. */
  runs: number;
  /** The original's statistics: pass them back to calibrate another model on the same data. */
  referenceStats: Map<string, ChannelStats>;
}

export async function calibrateCompressedModel(
  prepared: PreparedModel,
  written: { bytes: Uint8Array; report: CompressionReport },
  layerNames: Iterable<string>,
  batches: readonly CalibrationBatch[],
  options: CalibrationSettings & {
    referenceStats?: Map<string, ChannelStats>;
    signal?: AbortSignal;
    onProgress?: ProgressCallback;
  } = {},
): Promise<CalibratedModel> {
  const calibrated = await calibrateModel({
    referenceBytes: prepared.bytes,
    compressedBytes: written.bytes,
    layerOutputs: layerOutputs(prepared, layerNames),
    batches,
    strategy: options.strategy,
    passes: options.passes,
    affine: options.affine,
    referenceStats: options.referenceStats,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const report: CompressionReport = {
    ...written.report,
    totals: { ...written.report.totals, sizeBytes: calibrated.bytes.length },
    notes: [
      ...written.report.notes,
      `calibrated after compression (${calibrated.runs} model runs)`,
    ],
  };
  return {
    bytes: calibrated.bytes,
    report,
    runs: calibrated.runs,
    referenceStats: calibrated.referenceStats,
  };
}
