// The concrete sweep evaluator: factorize the chosen layers (memoized per layer), write and
// optionally calibrate the compressed model with the core pipeline's stages (the one copy of
// them), and measure it in onnxruntime-web.

import type { ChannelStats } from '../calibrate/channelStats.ts';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import type { Dataset, PreprocessSpec } from '../data/types.ts';
import { evaluateModel } from '../eval/evaluate.ts';
import type { InputMoments } from '../factor/inputMoments.ts';
import { METHODS } from '../factor/methods/index.ts';
import type { AdmmPresetName, CompressJob, LayerResult, QafObjective } from '../factor/types.ts';
import type { Kernels } from '../kernels/types.ts';
import {
  type CalibrationSettings,
  calibrateCompressedModel,
  type PreparedModel,
  writeCompressedModel,
} from '../pipeline/index.ts';
import type { CompressionReport } from '../rewrite/types.ts';
import type { ProgressCallback } from '../util/progress.ts';
import { FLOAT_BITS } from '../util/units.ts';
import { PromiseMemo } from './cache.ts';
import { canonicalJson } from './configKey.ts';
import { LayerFactorCache } from './layerCache.ts';
import type { SweepEvaluator, SweepMeasurement, SweepPoint } from './types.ts';

/** A layer the sweep compresses: its name and weight. */
export interface SweepLayer {
  name: string;
  weight: Float32Array;
  weightShape: readonly number[];
}

interface BuiltModel {
  bytes: Uint8Array;
  report: CompressionReport;
  meanError: number;
}

export interface SweepEvaluatorOptions {
  prepared: PreparedModel;
  layers: readonly SweepLayer[];
  kernels: Kernels;
  /** Evaluation images (kept apart from the calibration images). */
  dataset: Dataset;
  indices?: ArrayLike<number>;
  spec?: PreprocessSpec;
  batchSize?: number;
  /** Preprocessed calibration images; calibrated points need them. */
  calibrationBatches?: readonly CalibrationBatch[];
  calibration?: CalibrationSettings;
  preset?: AdmmPresetName;
  seed?: number;
  /** QAF's objective (default 'published'); 'data' solves with `inputMoments`. */
  objective?: QafObjective;
  /**
   * Data-aware QAF: each layer's input statistics on the calibration images (second moments with
   * their channel sums, not centred). Uncalibrated points weigh by the second moment, calibrated
   * twins by the centred channel moment (calibration removes the mean input's error), as the
   * pipeline does (docs/data-aware-qaf.md): the twins then get factors of their own.
   */
  inputMoments?: ReadonlyMap<string, InputMoments>;
  /** PTQ with one scale per output channel instead of per tensor. */
  perChannelPtq?: boolean;
  latencyRuns?: number;
  /** Progress inside one point (factorizing, calibrating, evaluating). */
  onProgress?: ProgressCallback;
  /** Computes one layer's factorization (default: compressLayer here; the CLI: its thread pool). */
  compressJob?: (job: CompressJob) => Promise<LayerResult>;
}

export interface SweepEvaluatorHandle {
  evaluate: SweepEvaluator;
  factorCache: LayerFactorCache;
  /** How many points were really evaluated (not served from a cache). */
  readonly evaluations: number;
}

export function createSweepEvaluator(options: SweepEvaluatorOptions): SweepEvaluatorHandle {
  const factorCache = new LayerFactorCache(options.kernels, options.compressJob);
  // The uncalibrated model of the point just evaluated: its calibrated twin comes next.
  const built = new PromiseMemo<BuiltModel>(2);
  const { prepared } = options;
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
    floatReport ??= measure(prepared.sourceBytes, signal);
    floatReport.catch(() => {
      floatReport = null;
    });
    return floatReport;
  };

  const centred = new Map<string, InputMoments>();
  const momentsFor = (name: string, calibrated: boolean): InputMoments | undefined => {
    const raw = options.inputMoments?.get(name);
    if (!raw || !calibrated) return raw;
    let m = centred.get(name);
    if (!m) {
      m = { ...raw, centre: true };
      centred.set(name, m);
    }
    return m;
  };

  const compressAll = async (point: SweepPoint): Promise<LayerResult[]> => {
    if (point.method === 'float') throw new Error('sweep: the float model is not compressed');
    const method = METHODS[point.method];
    const dataAware = dataAwarePoint(point);
    // All layers asked at once: a thread pool runs them side by side (here, one after another).
    return Promise.all(
      options.layers.map((layer) =>
        factorCache.compress(
          { name: layer.name, weight: layer.weight, shape: layer.weightShape },
          {
            method: method.id,
            rank: null,
            rate: method.factorizes ? point.rate : null,
            // Float CP ignores bits, but the engine validates them.
            bits: method.quantizes ? point.bits : 8,
            preset: options.preset ?? 'default',
            seed: options.seed ?? 0,
            // Per-channel scales are an option of the methods that quantize the weight itself.
            perChannel: !method.factorizes && (options.perChannelPtq ?? false),
            objective: dataAware ? 'data' : undefined,
          },
          dataAware ? momentsFor(layer.name, point.calibrated) : undefined,
        ),
      ),
    );
  };

  const dataAwarePoint = (point: SweepPoint) =>
    point.method === 'admm' && options.objective === 'data';

  // A calibrated twin reuses its uncalibrated twin's model, except with data-aware QAF, whose
  // twins are solved for different statistics.
  const buildPoint = (point: SweepPoint) =>
    built.get(
      canonicalJson({ ...point, calibrated: dataAwarePoint(point) && point.calibrated }),
      async () => {
        const results = await compressAll(point);
        const batches =
          point.actBits === null ? null : requireBatches(options, 'activation scales');
        const actBits = point.actBits ?? FLOAT_BITS;
        const model = await writeCompressedModel(prepared, results, { actBits }, batches);
        const meanError = results.reduce((a, r) => a + r.error, 0) / Math.max(1, results.length);
        return { bytes: model.bytes, report: model.report, meanError };
      },
    );

  const calibrate = async (model: BuiltModel, signal?: AbortSignal) => {
    const names = options.layers.map((l) => l.name);
    const batches = requireBatches(options, 'calibration');
    const result = await calibrateCompressedModel(prepared, model, names, batches, {
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
        sizeBytes: prepared.sourceBytes.length,
        meanError: 0,
      });
    }
    const model = await buildPoint(point);
    const bytes = point.calibrated ? await calibrate(model, signal) : model.bytes;
    const report = await measure(bytes, signal);
    return toMeasurement(report, reference, {
      bopPercent: model.report.totals.bopPercent,
      meanError: model.meanError,
      sizeBytes: bytes.length,
    });
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
