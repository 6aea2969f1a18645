// Public surface of calibration after compression, and the one-call entry the shells use.
import type { Dataset } from '../data/types.ts';
import { discoverLayers, inferShapes, readModel } from '../onnx/index.ts';
import type { ProgressCallback } from '../util/progress.ts';
import { DEFAULT_CALIBRATION_IMAGES, makeCalibrationBatches } from './batches.ts';
import {
  type CalibrationReport,
  type CalibrationStrategy,
  calibrateModel,
} from './calibrateModel.ts';

export { type AffineOptions, type ChannelAffine, channelAffine, foldAffine } from './affine.ts';
export { DEFAULT_CALIBRATION_IMAGES, makeCalibrationBatches, modelInputShape } from './batches.ts';
export {
  type CalibrateOptions,
  type CalibrationReport,
  type CalibrationStrategy,
  calibrateModel,
} from './calibrateModel.ts';
export { type ChannelStats, channelStd } from './channelStats.ts';
export { foldIntoGraph } from './graphEdit.ts';
export { type CalibrationBatch, collectOutputStats } from './outputStats.ts';

export interface CalibrateCompressedOptions {
  /** The original float model. */
  referenceBytes: Uint8Array;
  /** The compressed model written from it (layer output names unchanged). */
  compressedBytes: Uint8Array;
  /** Names of the compressed layers (LayerResult.name / LayerInfo.name). */
  layerNames: readonly string[];
  /** Calibration images, kept apart from any evaluation set. */
  dataset: Dataset;
  images?: number;
  strategy?: CalibrationStrategy;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** Calibrates a compressed model on a dataset: what `qaf compress --calibration-data` runs. */
export async function calibrateCompressed(
  options: CalibrateCompressedOptions,
): Promise<CalibrationReport> {
  const reference = readModel(options.referenceBytes);
  const layers = discoverLayers(reference, inferShapes(reference));
  const wanted = new Set(options.layerNames);
  const layerOutputs = layers
    .filter((l) => wanted.has(l.name))
    .map((l) => reference.graph.node![l.nodeIndex].output![0]);
  return calibrateModel({
    referenceBytes: options.referenceBytes,
    compressedBytes: options.compressedBytes,
    layerOutputs,
    batches: makeCalibrationBatches(reference, options.dataset, {
      images: options.images ?? DEFAULT_CALIBRATION_IMAGES,
    }),
    strategy: options.strategy,
    signal: options.signal,
    onProgress: options.onProgress,
  });
}
