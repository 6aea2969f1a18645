// Calibration after compression for BatchNorm-folded models (the stand-in for re-estimating
// BatchNorm statistics in the published method): per output channel of every compressed layer,
// match the mean and variance of the original layer's pre-activation outputs on calibration
// images. Downstream layers must see calibrated upstream activations, so layers are done one at a
// time in graph order ('sequential', the default: one run of the network truncated after the
// layer per step). 'joint' (all layers per run, repeated `passes` times) is cheaper but was
// measured to diverge on ResNet-20: each layer's correction absorbs upstream errors that the
// upstream corrections then remove, so deep layers over-correct (ADMM r2 w4, 500 test images:
// 77.8 % uncalibrated, 17.6 / 11.6 / 9.0 % after 1 / 2 / 3 joint passes, 87.4 % sequential).

import { prunedToOutputs } from '../onnx/graphOutputs.ts';
import { readModel, writeModel } from '../onnx/reader.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { createThrottledProgress, type ProgressCallback } from '../util/progress.ts';
import { type AffineOptions, affineDistance, channelAffine } from './affine.ts';
import type { ChannelStats } from './channelStats.ts';
import { foldIntoGraph } from './graphEdit.ts';
import { type CalibrationBatch, collectOutputStats } from './outputStats.ts';

export type CalibrationStrategy = 'joint' | 'sequential';

export interface CalibrateOptions {
  /** The original (float) model: the statistics to match. */
  referenceBytes: Uint8Array;
  /** The compressed model to correct (not modified). */
  compressedBytes: Uint8Array;
  /** Output tensor names of the compressed layers, the same in both models, in graph order. */
  layerOutputs: readonly string[];
  batches: readonly CalibrationBatch[];
  /** Default 'sequential' (exact); 'joint' is cheaper but can diverge (see above). */
  strategy?: CalibrationStrategy;
  /** Passes of the 'joint' strategy. Default 3. */
  passes?: number;
  affine?: AffineOptions;
  /** Statistics of the reference from an earlier call with the same model, data and layers. */
  referenceStats?: Map<string, ChannelStats>;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface CalibrationReport {
  /** The calibrated model as .onnx bytes. */
  bytes: Uint8Array;
  model: OnnxModel;
  referenceStats: Map<string, ChannelStats>;
  /** Worst |a_c - 1| over all layers, per model run (it shrinks as upstream settles). */
  gainDistance: number[];
  /** Model runs over the calibration batches, the reference's included when computed here. */
  runs: number;
}

const DEFAULT_PASSES = 3;

export async function calibrateModel(options: CalibrateOptions): Promise<CalibrationReport> {
  const { layerOutputs, batches, signal } = options;
  const strategy = options.strategy ?? 'sequential';
  const steps = strategy === 'joint' ? (options.passes ?? DEFAULT_PASSES) : layerOutputs.length;
  const needReference = !options.referenceStats;
  const total = (steps + (needReference ? 1 : 0)) * batches.length;
  const report = createThrottledProgress('calibrating', total, options.onProgress);
  let done = 0;
  const onBatch = () => report(++done);
  report(0);

  const referenceStats =
    options.referenceStats ??
    (await statsOf(readModel(options.referenceBytes), layerOutputs, batches, signal, onBatch));
  const model = readModel(options.compressedBytes);
  const gainDistance: number[] = [];
  for (let step = 0; step < steps; step++) {
    const measured = strategy === 'joint' ? layerOutputs : [layerOutputs[step]];
    const stats = await statsOf(model, measured, batches, signal, onBatch);
    let worst = 0;
    for (const name of measured) {
      const affine = channelAffine(referenceStats.get(name)!, stats.get(name)!, options.affine);
      worst = Math.max(worst, affineDistance(affine));
      foldIntoGraph(model.graph, name, affine);
    }
    gainDistance.push(worst);
  }
  report(total);
  return {
    bytes: writeModel(model),
    model,
    referenceStats,
    gainDistance,
    runs: steps + (needReference ? 1 : 0),
  };
}

async function statsOf(
  model: OnnxModel,
  names: readonly string[],
  batches: readonly CalibrationBatch[],
  signal: AbortSignal | undefined,
  onBatch: () => void,
): Promise<Map<string, ChannelStats>> {
  const bytes = writeModel(prunedToOutputs(model, names));
  return collectOutputStats(bytes, names, batches, { signal, onBatch });
}
