// The evaluation worker: holds datasets (decoded images stay here, the page gets summaries) and
// runs onnxruntime-web evaluations. A thin comlink shell over src/core/data and src/core/eval.
import './lifeline.ts'; // first: its lock is taken before the heavier modules load
import * as Comlink from 'comlink';
import { makeCalibrationBatches } from '../src/core/calibrate/batches.ts';
import type { CalibrationBatch } from '../src/core/calibrate/outputStats.ts';
import { browserImageDecoder } from '../src/core/data/browserImageDecoder.ts';
import { loadDataset } from '../src/core/data/loadDataset.ts';
import type { SubsetName } from '../src/core/data/subset.ts';
import type { Dataset, DatasetFormat, PreprocessSpec } from '../src/core/data/types.ts';
import { type EvalReport, evaluateModel } from '../src/core/eval/evaluate.ts';
import { type PredictionSample, predictionSample } from '../src/core/eval/sample.ts';
import type { RuntimeOptions } from '../src/core/eval/session.ts';
import type { QafObjective } from '../src/core/factor/types.ts';
import { readModel } from '../src/core/onnx/reader.ts';
import { sha256Hex } from '../src/core/sweep/configKey.ts';
import { SWEEP_CALIBRATION_IMAGES } from '../src/core/sweep/grid.ts';
import { type ModelSweepOptions, runModelSweep } from '../src/core/sweep/modelSweep.ts';
import type { SweepGridSpec, SweepRow } from '../src/core/sweep/types.ts';
import type { ProgressCallback } from '../src/core/util/progress.ts';
import {
  type ArraysAgreement,
  type ArraysRequest,
  compareOnArrays,
  type OutputAgreement,
} from './arraysAgreement.ts';
import {
  type BuildRequest,
  type BuildResult,
  buildCompressed,
  buildInputMoments,
  type EvaluationPart,
  evaluationIndices,
  evaluationSplit,
  type MomentsRequest,
  type MomentsResult,
  momentBuffers,
  ownedBytes,
} from './compressedBuild.ts';
import { sweepCache } from './idbSweepCache.ts';

export type {
  ArraysAgreement,
  ArraysRequest,
  BuildRequest,
  BuildResult,
  EvaluationPart,
  MomentsRequest,
  MomentsResult,
  OutputAgreement,
};

export interface SweepRequest {
  /** Transferred. */
  modelBytes: ArrayBuffer;
  datasetId: string;
  calibrationDatasetId: string | null;
  subset: SubsetName;
  /** Images of the stratified subset when smaller than the quick one. */
  limit?: number;
  grid: SweepGridSpec;
  preset?: ModelSweepOptions['preset'];
  /** QAF's objective; default data-aware with a calibration set (runModelSweep). */
  objective?: ModelSweepOptions['objective'];
}

export interface DatasetSummary {
  datasetId: string;
  fileName: string;
  format: DatasetFormat;
  count: number;
  width: number;
  height: number;
  channels: number;
  classNames: string[] | null;
  labelled: boolean;
  /** 'float32' files hold ready-made model inputs (not resized). */
  pixelType: Dataset['pixelType'];
  /** SHA-256 of the file, for cache keys. */
  dataHash: string;
}

export interface EvaluateRequest {
  datasetId: string;
  /** Transferred, not copied (Comlink.transfer). */
  model: ArrayBuffer;
  reference?: ArrayBuffer;
  subset: SubsetName;
  spec?: PreprocessSpec;
  batchSize?: number;
  latencyRuns?: number;
  /** Evaluate only this many images of the stratified subset (fewer than the quick 1,000). */
  limit?: number;
  /** This many of the run's evaluation images were asked for calibration (no separate set):
   * evaluate the others (the same split as the build's). */
  calibrationImages?: number;
  /** Return this many images with both models' top-1 (disagreements first); needs `reference`. */
  sampleImages?: number;
}

/** An evaluation's report, with the sample of predictions when one was asked for. */
export type EvaluateResult = EvalReport & { sample: PredictionSample | null };

const datasets = new Map<string, { summary: DatasetSummary; dataset: Dataset }>();
// Default: the runtime copied into our own origin's /ort/ (never a CDN: the app works offline).
let runtime: RuntimeOptions = {
  wasmPaths: new URL(`${import.meta.env.BASE_URL}ort/`, self.location.origin).href,
};
let running: AbortController | null = null;

const api = {
  /** Must come before the first evaluation: ort reads these settings once. */
  configure(options: RuntimeOptions): void {
    runtime = { ...runtime, ...options };
  },

  async loadDataset(
    buffer: ArrayBuffer,
    format: DatasetFormat,
    fileName = 'data',
    onProgress?: ProgressCallback,
  ): Promise<DatasetSummary> {
    const dataset = await loadDataset(new Uint8Array(buffer), format, browserImageDecoder, {
      onProgress,
    });
    const summary: DatasetSummary = {
      datasetId: crypto.randomUUID(),
      fileName,
      format,
      count: dataset.count,
      width: dataset.width,
      height: dataset.height,
      channels: dataset.channels,
      classNames: dataset.classNames,
      labelled: dataset.labels !== null,
      pixelType: dataset.pixelType,
      dataHash: await sha256Hex(new Uint8Array(buffer)),
    };
    datasets.set(summary.datasetId, { summary, dataset });
    return summary;
  },

  async evaluate(request: EvaluateRequest, onProgress?: ProgressCallback): Promise<EvaluateResult> {
    const entry = datasets.get(request.datasetId);
    if (!entry)
      throw new Error('the dataset is not loaded (it was closed or the worker restarted)');
    running?.abort();
    const controller = new AbortController();
    running = controller;
    try {
      const indices = request.calibrationImages
        ? evaluationSplit(entry.dataset, {
            subset: request.subset,
            limit: request.limit,
            images: request.calibrationImages,
          }).evaluation
        : evaluationIndices(entry.dataset, request.subset, request.limit);
      const report = await evaluateModel({
        modelBytes: new Uint8Array(request.model),
        referenceBytes: request.reference ? new Uint8Array(request.reference) : undefined,
        dataset: entry.dataset,
        spec: request.spec,
        indices,
        batchSize: request.batchSize,
        latencyRuns: request.latencyRuns,
        runtime,
        onProgress,
        signal: controller.signal,
      });
      const sample = request.sampleImages
        ? predictionSample(
            entry.dataset,
            indices,
            report.predictions,
            report.referencePredictions,
            {
              count: request.sampleImages,
            },
          )
        : null;
      const buffers = [report.predictions.buffer, report.referencePredictions?.buffer];
      if (sample) buffers.push(sample.thumbnails.buffer);
      const transfers = buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
      return Comlink.transfer({ ...report, sample }, transfers);
    } finally {
      if (running === controller) running = null;
    }
  },

  /** Rewrites the model with the layer results (+ calibration); the bytes come back transferred. */
  async buildCompressed(
    request: BuildRequest,
    onProgress?: ProgressCallback,
  ): Promise<BuildResult> {
    const entry = request.calibrationDatasetId ? datasetOf(request.calibrationDatasetId) : null;
    const calibration = entry && {
      datasetId: entry.summary.datasetId,
      dataset: entry.dataset,
      fileName: entry.summary.fileName,
    };
    return track(async (signal) => {
      const built = await buildCompressed(request, calibration, onProgress, signal);
      // Never the written bytes' own buffer: see ownedBytes.
      const result = { ...built, bytes: ownedBytes(built.bytes) };
      return Comlink.transfer(result, [result.bytes.buffer as ArrayBuffer]);
    });
  },

  /**
   * The input statistics of the run's layers on its calibration images, or without images on the
   * user's input arrays (data-aware QAF); the statistics come back as transferred typed arrays.
   */
  async inputMoments(
    request: MomentsRequest,
    onProgress?: ProgressCallback,
  ): Promise<MomentsResult> {
    const entry = request.calibrationDatasetId ? datasetOf(request.calibrationDatasetId) : null;
    const set = entry && {
      datasetId: entry.summary.datasetId,
      dataset: entry.dataset,
      fileName: entry.summary.fileName,
    };
    return track(async (signal) => {
      const result = await buildInputMoments(request, set, onProgress, signal);
      return Comlink.transfer(result, momentBuffers(Object.values(result.moments)));
    });
  },

  /**
   * Without labelled images: the written model against the original on the user's arrays
   * (agreement with the original, never accuracy).
   */
  compareOnArrays(request: ArraysRequest, onProgress?: ProgressCallback): Promise<ArraysAgreement> {
    return track((signal) => compareOnArrays(request, runtime, onProgress, signal));
  },

  /** Runs a sweep grid with the IndexedDB cache; rows stream to `onRow` as they come. */
  async sweep(
    request: SweepRequest,
    onRow: (row: SweepRow) => void,
    onProgress?: ProgressCallback,
  ): Promise<{ rows: SweepRow[]; objective: QafObjective }> {
    const entry = datasetOf(request.datasetId);
    const cal = request.calibrationDatasetId ? datasetOf(request.calibrationDatasetId) : null;
    const cache = await sweepCache();
    return track(async (signal) => {
      const result = await runModelSweep({
        modelBytes: new Uint8Array(request.modelBytes),
        dataset: entry.dataset,
        dataBytes: entry.summary.dataHash,
        indices: evaluationIndices(entry.dataset, request.subset, request.limit),
        grid: request.grid,
        calibration: cal
          ? {
              dataset: cal.dataset,
              dataBytes: cal.summary.dataHash,
              images: SWEEP_CALIBRATION_IMAGES,
            }
          : undefined,
        preset: request.preset,
        objective: request.objective,
        latencyRuns: 5,
        cache,
        signal,
        onProgress,
        onRow: (row) => void onRow(row),
      });
      return { rows: result.rows, objective: result.objective };
    });
  },

  /**
   * Preprocessed images of a loaded set for the model (a class-balanced sample of `images`), for
   * the sensitivity worker (workers/sensitivity.worker.ts); transferred, the set stays here.
   */
  sensitivityBatches(
    modelBytes: ArrayBuffer,
    datasetId: string,
    images: number,
    spec?: PreprocessSpec,
  ): CalibrationBatch[] {
    const model = readModel(new Uint8Array(modelBytes));
    const batches = makeCalibrationBatches(model, datasetOf(datasetId).dataset, { images, spec });
    return Comlink.transfer(
      batches,
      batches.map((b) => b.data.buffer as ArrayBuffer),
    );
  },

  /** Stops the running evaluation at the next batch (terminate the worker to stop at once). */
  cancel(): void {
    running?.abort();
  },

  closeDataset(datasetId: string): void {
    datasets.delete(datasetId);
  },
};

function datasetOf(datasetId: string) {
  const entry = datasets.get(datasetId);
  if (!entry) throw new Error('the dataset is not loaded (it was closed or the worker restarted)');
  return entry;
}

/** Runs a cancellable step as the worker's current one (cancel() aborts it). */
async function track<T>(step: (signal: AbortSignal) => Promise<T>): Promise<T> {
  running?.abort();
  const controller = new AbortController();
  running = controller;
  try {
    return await step(controller.signal);
  } finally {
    if (running === controller) running = null;
  }
}

export type EvalWorkerApi = typeof api;

Comlink.expose(api);
