// Calibration after compression for BatchNorm-folded models (the stand-in for re-estimating
// BatchNorm statistics in the published method): per output channel of every compressed layer,
// match the mean and variance of the original layer's pre-activation outputs on calibration
// images. Downstream layers must see calibrated upstream activations, so layers are done one at a
// time in graph order ('sequential', the default). Each step runs only the nodes between the
// previous layer and this one, fed with the activations the previous steps cached at the cut
// (cutPlan.ts, cutCalibration.ts): about one network pass in all instead of one truncated pass
// per layer. 'rerun' is the same method re-running the network from the input at every step
// (the reference the cached one is checked and benchmarked against; also the fallback for graphs
// the cut analysis does not cover). 'joint' (all layers per run, repeated `passes` times) is
// cheaper but was measured to diverge on ResNet-20: each layer's correction absorbs upstream
// errors that the upstream corrections then remove, so deep layers over-correct (ADMM r2 w4, 500
// test images: 77.8 % uncalibrated, 17.6 / 11.6 / 9.0 % after 1 / 2 / 3 joint passes, 87.4 %
// sequential).

import { prunedToOutputs } from '../onnx/graphOutputs.ts';
import { readModel, writeModel } from '../onnx/reader.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { createThrottledProgress, type ProgressCallback } from '../util/progress.ts';
import { type AffineOptions, affineDistance, channelAffine } from './affine.ts';
import { channelLastWidths, placeCalibrationAdds } from './channelAxis.ts';
import type { ChannelStats } from './channelStats.ts';
import { calibrateFromCuts } from './cutCalibration.ts';
import { planCutSteps, truncatedPasses } from './cutPlan.ts';
import { foldIntoGraph } from './graphEdit.ts';
import { canComputeMoments } from './graphMoments.ts';
import { type CalibrationBatch, collectOutputMoments, collectOutputStats } from './outputStats.ts';

export type CalibrationStrategy = 'sequential' | 'rerun' | 'joint';

export interface CalibrateOptions {
  /** The original (float) model: the statistics to match. */
  referenceBytes: Uint8Array;
  /** The compressed model to correct (not modified). */
  compressedBytes: Uint8Array;
  /** Output tensor names of the compressed layers, the same in both models, in graph order. */
  layerOutputs: readonly string[];
  batches: readonly CalibrationBatch[];
  /** Default 'sequential' (from cached activations); 'rerun' the same from the input; 'joint' can diverge. */
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
  /** Model runs over the calibration batches (whole or a cut's part), the reference's included. */
  runs: number;
  /** The same in whole-network passes (nodes run per image over the nodes up to the last layer). */
  networkPasses: number;
  /** Most bytes of activations cached at once (0 unless the sequential steps were cut). */
  peakCacheBytes: number;
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

  const model = readModel(options.compressedBytes);
  const plan =
    strategy === 'sequential' && canComputeMoments(model)
      ? planCutSteps(model.graph, layerOutputs)
      : null;
  const referenceStats =
    options.referenceStats ??
    (plan
      ? await collectOutputMoments(readModel(options.referenceBytes), layerOutputs, batches, {
          signal,
          onBatch,
        })
      : await statsOf(readModel(options.referenceBytes), layerOutputs, batches, signal, onBatch));
  let result: Omit<CalibrationReport, 'bytes' | 'model' | 'referenceStats' | 'runs'>;
  if (plan) {
    result = await calibrateFromCuts(model, plan, batches, referenceStats, {
      affine: options.affine,
      signal,
      onBatch,
    });
  } else {
    const measuredPerStep = Array.from({ length: steps }, (_, step) =>
      strategy === 'joint' ? layerOutputs : [layerOutputs[step]],
    );
    result = {
      gainDistance: await rerunSteps(model, measuredPerStep, options, referenceStats, onBatch),
      peakCacheBytes: 0,
      networkPasses: truncatedPasses(model.graph, measuredPerStep),
    };
  }
  report(total);
  placeCalibrationAdds(model.graph);
  return {
    bytes: writeModel(model),
    model,
    referenceStats,
    ...result,
    runs: steps + (needReference ? 1 : 0),
    networkPasses: result.networkPasses + (needReference ? 1 : 0),
  };
}

/** Each step runs the network from the input, truncated after the layers it measures. */
async function rerunSteps(
  model: OnnxModel,
  measuredPerStep: readonly (readonly string[])[],
  options: CalibrateOptions,
  referenceStats: Map<string, ChannelStats>,
  onBatch: () => void,
): Promise<number[]> {
  const gainDistance: number[] = [];
  for (const measured of measuredPerStep) {
    const stats = await statsOf(model, measured, options.batches, options.signal, onBatch);
    let worst = 0;
    for (const name of measured) {
      const affine = channelAffine(referenceStats.get(name)!, stats.get(name)!, options.affine);
      worst = Math.max(worst, affineDistance(affine));
      foldIntoGraph(model.graph, name, affine);
    }
    gainDistance.push(worst);
  }
  return gainDistance;
}

async function statsOf(
  model: OnnxModel,
  names: readonly string[],
  batches: readonly CalibrationBatch[],
  signal: AbortSignal | undefined,
  onBatch: () => void,
): Promise<Map<string, ChannelStats>> {
  const bytes = writeModel(prunedToOutputs(model, names));
  const channelLast = channelLastWidths(model.graph, names);
  return collectOutputStats(bytes, names, batches, { signal, onBatch, channelLast });
}
