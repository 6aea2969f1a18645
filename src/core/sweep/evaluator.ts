// The concrete sweep evaluator: factorize the chosen layers (memoized per layer), build the
// compressed model, optionally calibrate it, and measure it in onnxruntime-web. The model
// builder is injected so this module stays a pipeline, not a second copy of the rewrite.

import type { AffineOptions } from '../calibrate/affine.ts';
import { type CalibrationStrategy, calibrateModel } from '../calibrate/calibrateModel.ts';
import type { ChannelStats } from '../calibrate/channelStats.ts';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import type { Dataset, PreprocessSpec, ProgressCallback } from '../data/types.ts';
import { evaluateModel } from '../eval/evaluate.ts';
import type { AdmmPresetName, LayerResult } from '../factor/types.ts';
import type { Kernels } from '../kernels/types.ts';
import { PromiseMemo } from './cache.ts';
import { canonicalJson } from './configKey.ts';
import { LayerFactorCache } from './layerCache.ts';
import type { SweepEvaluator, SweepMeasurement, SweepPoint } from './types.ts';

/** A layer the sweep compresses: its weight and the tensor it outputs. */
export interface SweepLayer {
  name: string;
  weight: Float32Array;
  weightShape: readonly number[];
  outputName: string;
}

export interface BuildRequest {
  results: LayerResult[];
  /** Null for float activations. */
  actBits: number | null;
  /** Inputs for activation-quantization scales (the calibration images), when actBits is set. */
  actBatches: readonly CalibrationBatch[] | null;
}

export interface BuiltModel {
  bytes: Uint8Array;
  bopPercent: number;
  sizeBytes: number;
}

export type ModelBuilder = (request: BuildRequest) => Promise<BuiltModel> | BuiltModel;

export interface SweepEvaluatorOptions {
  modelBytes: Uint8Array;
  layers: readonly SweepLayer[];
  build: ModelBuilder;
  kernels: Kernels;
  /** Evaluation images (kept apart from the calibration images). */
  dataset: Dataset;
  indices?: ArrayLike<number>;
  spec?: PreprocessSpec;
  batchSize?: number;
  /** Preprocessed calibration images; calibrated points need them. */
  calibrationBatches?: readonly CalibrationBatch[];
  calibration?: { strategy?: CalibrationStrategy; passes?: number; affine?: AffineOptions };
  preset?: AdmmPresetName;
  seed?: number;
  /** PTQ with one scale per output channel instead of per tensor. */
  perChannelPtq?: boolean;
  latencyRuns?: number;
  /** Progress inside one point (factorizing, calibrating, evaluating). */
  onProgress?: ProgressCallback;
}

export interface SweepEvaluatorHandle {
  evaluate: SweepEvaluator;
  factorCache: LayerFactorCache;
  /** How many points were really evaluated (not served from a cache). */
  readonly evaluations: number;
}

const FLOAT_BITS = 32;

export function createSweepEvaluator(options: SweepEvaluatorOptions): SweepEvaluatorHandle {
  const factorCache = new LayerFactorCache(options.kernels);
  // The uncalibrated model of the point just evaluated: its calibrated twin comes next.
  const built = new PromiseMemo<BuiltModel & { meanError: number }>(2);
  let referenceStats: Map<string, ChannelStats> | undefined;
  let floatReport: ReturnType<typeof evaluateModel> | null = null;
  let evaluations = 0;

  const measure = async (bytes: Uint8Array, signal?: AbortSignal) => {
    const report = await evaluateModel({
      modelBytes: bytes,
      dataset: options.dataset,
      indices: options.indices,
      spec: options.spec,
      batchSize: options.batchSize,
      latencyRuns: options.latencyRuns ?? 20,
      signal,
      onProgress: options.onProgress,
    });
    return report;
  };

  // The float model is measured once: its predictions are every point's agreement reference.
  const floatReference = (signal?: AbortSignal) => {
    floatReport ??= measure(options.modelBytes, signal);
    floatReport.catch(() => {
      floatReport = null;
    });
    return floatReport;
  };

  const compressAll = async (point: SweepPoint): Promise<LayerResult[]> => {
    const results: LayerResult[] = [];
    for (const layer of options.layers) {
      results.push(
        await factorCache.compress(
          { name: layer.name, weight: layer.weight, shape: layer.weightShape },
          {
            method: point.method as LayerResult['method'],
            rank: null,
            rate: point.method === 'ptq' ? null : point.rate,
            // Float CP ignores bits, but the engine validates them.
            bits: point.bits === FLOAT_BITS ? 8 : point.bits,
            preset: options.preset ?? 'default',
            seed: options.seed ?? 0,
            perChannel: point.method === 'ptq' && (options.perChannelPtq ?? false),
          },
        ),
      );
    }
    return results;
  };

  const buildPoint = (point: SweepPoint) =>
    built.get(canonicalJson({ ...point, calibrated: false }), async () => {
      const results = await compressAll(point);
      const model = await options.build({
        results,
        actBits: point.actBits,
        actBatches: point.actBits === null ? null : requireBatches(options, 'activation scales'),
      });
      const meanError = results.reduce((a, r) => a + r.error, 0) / Math.max(1, results.length);
      return { ...model, meanError };
    });

  const calibrate = async (bytes: Uint8Array, signal?: AbortSignal) => {
    const result = await calibrateModel({
      referenceBytes: options.modelBytes,
      compressedBytes: bytes,
      layerOutputs: options.layers.map((l) => l.outputName),
      batches: requireBatches(options, 'calibration'),
      ...options.calibration,
      referenceStats,
      signal,
      onProgress: options.onProgress,
    });
    referenceStats = result.referenceStats;
    return result.bytes;
  };

  const evaluate: SweepEvaluator = async (point, signal) => {
    evaluations++;
    const reference = (await floatReference(signal)).predictions;
    if (point.method === 'float') {
      return toMeasurement(await floatReference(signal), reference, {
        bopPercent: 100,
        sizeBytes: options.modelBytes.length,
        meanError: 0,
      });
    }
    const model = await buildPoint(point);
    const bytes = point.calibrated ? await calibrate(model.bytes, signal) : model.bytes;
    const report = await measure(bytes, signal);
    return toMeasurement(report, reference, { ...model, sizeBytes: bytes.length });
  };

  return {
    evaluate,
    factorCache,
    get evaluations() {
      return evaluations;
    },
  };
}

function requireBatches(options: SweepEvaluatorOptions, why: string) {
  if (!options.calibrationBatches?.length) {
    throw new Error(`sweep: ${why} needs calibration data (--calibration-data)`);
  }
  return options.calibrationBatches;
}

function toMeasurement(
  report: Awaited<ReturnType<typeof evaluateModel>>,
  reference: Int32Array,
  costs: { bopPercent: number; sizeBytes: number; meanError: number },
): SweepMeasurement {
  let same = 0;
  for (let i = 0; i < report.predictions.length; i++) {
    if (report.predictions[i] === reference[i]) same++;
  }
  return {
    accuracy: report.accuracy ?? Number.NaN,
    agreement: report.predictions.length ? same / report.predictions.length : Number.NaN,
    bopPercent: costs.bopPercent,
    sizeBytes: costs.sizeBytes,
    latencyMs: report.latencyMs?.median ?? Number.NaN,
    meanError: costs.meanError,
    images: report.images,
  };
}
