// The three steps of a run, each a function of plain inputs: factorize the chosen layers in the
// worker pool (reusing this session's layer results), rewrite (+ calibrate) in the eval worker,
// evaluate there. runActions.ts strings them together and keeps the store up to date.
import * as Comlink from 'comlink';
import { APP_CALIBRATION_IMAGES } from '../../core/calibrate/defaults.ts';
import type { TensorSet } from '../../core/data/tensors.ts';
import type { InputMoments } from '../../core/factor/inputMoments.ts';
import { wantsInputMoments } from '../../core/factor/modelJobs.ts';
import type { CompressJob, LayerProgress, LayerResult } from '../../core/factor/types.ts';
import type { ProgressEvent } from '../../core/util/progress.ts';
import { compressLayers, compressPool } from '../bridge/compressPool.ts';
import { evalWorker } from '../bridge/evalClient.ts';
import type { ArraysAgreement, BuildResult, PredictionSample } from '../bridge/evalTypes.ts';
import { modelWorker } from '../bridge/modelClient.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { useAppStore } from '../store.ts';
import { abortable } from './abortable.ts';
import { allocatedJobs } from './allocationJobs.ts';
import { inputArraysFor } from './inputArrays.ts';
import { cachedLayer, cacheLayer, layerKey } from './layerCache.ts';
import { type CompressSettings, outputForm } from './settings.ts';
import type { EvalSettings, EvalSummary } from './store.ts';

/** A model is identified across opens by its name and size (ids change on every open). */
export function modelKey(model: ModelOverview): string {
  return `${model.fileName}:${model.sizeBytes}`;
}

/** Input statistics of a run's QAF layers on its calibration images (data-aware QAF). */
export interface RunMoments {
  byLayer: Map<string, InputMoments>;
  /** SHA-256 of each layer's statistics: part of the layer cache key. */
  hashes: Map<string, string>;
  images: number;
  /** The arrays' files when the statistics came from the user's input arrays, else null. */
  arraysSource?: string | null;
  /** Why none were taken (then QAF solves for the published objective), or null. */
  note: string | null;
}

/** Where a run's statistics come from: its calibration images (as the build takes them), or
 * without images the user's input arrays (as the build's calibration on arrays takes them). */
export interface MomentsContext {
  source: CalibrationSource;
  evalSettings: EvalSettings;
  onProgress?: (p: ProgressEvent) => void;
}

/**
 * Whether a run solves QAF data-aware: with calibration images, or without them on the user's
 * input arrays, unless the user chose the paper's objective.
 */
export function dataAwareRun(
  settings: Pick<CompressSettings, 'qafObjective'>,
  source: CalibrationSource,
  hasArrays = false,
): boolean {
  return (source !== null || hasArrays) && settings.qafObjective !== 'published';
}

/** The run's objective in words for the run panel and the result row, or null when published. */
export function objectiveStatement(
  moments: RunMoments | null,
  results: readonly LayerResult[],
): string | null {
  if (!moments) return null;
  const qaf = results.filter((r) => r.method === 'admm');
  const data = qaf.filter((r) => r.objective === 'data').length;
  if (!qaf.length) return null;
  if (data === 0) {
    const why = moments.note ?? qaf.find((r) => r.warning)?.warning ?? 'no statistics';
    return `published objective: data-aware QAF not used (${why})`;
  }
  const part = data < qaf.length ? ` (${data} of ${qaf.length} layers; the others published)` : '';
  const n = moments.images.toLocaleString('en-US');
  const on = moments.arraysSource
    ? `${n} samples of your arrays (${moments.arraysSource})`
    : `${n} images`;
  return `data-aware: solved for the layers' inputs on ${on}${part}`;
}

const keptMoments = new Map<string, Promise<RunMoments>>();

/** Each loaded set of arrays by identity: new files under the same name are other data. */
const arraysIds = new WeakMap<TensorSet, number>();
let nextArraysId = 1;
function arraysId(arrays: TensorSet): number {
  let id = arraysIds.get(arrays);
  if (id === undefined) {
    id = nextArraysId++;
    arraysIds.set(arrays, id);
  }
  return id;
}
const MOMENTS_KEPT = 4;

/** The statistics of `layers` on the run's calibration images, kept for the next run alike. */
function runMoments(
  model: ModelOverview,
  layers: string[],
  centre: boolean,
  context: MomentsContext,
  arrays: TensorSet | null,
  signal: AbortSignal,
): Promise<RunMoments> {
  const { source, evalSettings } = context;
  const key = JSON.stringify([
    modelKey(model),
    model.inputShapes,
    source,
    source === null && arrays ? arraysId(arrays) : null,
    evalSettings.subset,
    evalSettings.limit,
    evalSettings.spec,
    centre,
    [...layers].sort(),
  ]);
  let kept = keptMoments.get(key);
  if (!kept) {
    kept = (async () => {
      const copy = (await originalBytes(model)).slice().buffer;
      const call = evalWorker().inputMoments(
        Comlink.transfer(
          {
            modelBytes: copy,
            layers,
            calibrationDatasetId: source?.datasetId ?? null,
            // Without images: the arrays, cloned (never transferred: the page keeps them).
            arrays: source === null ? arrays : null,
            fromEvaluation:
              source?.kind === 'evaluation' ? evaluationPart(evalSettings, source) : null,
            spec: evalSettings.spec ?? undefined,
            inputShapes: model.inputShapes,
            separateImages: separateImages(source),
            centre,
          },
          [copy],
        ),
        Comlink.proxy(context.onProgress ?? (() => {})),
      );
      const r = await abortable(call, signal);
      return {
        byLayer: new Map(Object.entries(r.moments)),
        hashes: new Map(Object.entries(r.hashes)),
        images: r.images,
        arraysSource: r.arraysSource,
        note: r.note,
      };
    })();
    keptMoments.set(key, kept);
    kept.catch(() => keptMoments.delete(key));
    while (keptMoments.size > MOMENTS_KEPT) keptMoments.delete(keptMoments.keys().next().value!);
  }
  return kept;
}

export interface Factorized {
  results: LayerResult[];
  /** The statistics data-aware QAF was solved with; null when the run is published. */
  moments: RunMoments | null;
}

/**
 * The run's layer results. With `data` (the run's calibration images) and the data-aware
 * objective, QAF layers are solved for their inputs' statistics, taken in the evaluation worker
 * first (its datasets stay there).
 */
export async function factorizeLayers(
  model: ModelOverview,
  settings: CompressSettings,
  signal: AbortSignal,
  onProgress: (p: LayerProgress) => void,
  data?: MomentsContext,
  /** Told before solving whether one layer bounds the run's time (null when none does). */
  onPlanNote?: (note: string | null) => void,
): Promise<Factorized> {
  // Before any solving: the file this run asks for must be one onnxruntime can load (an old
  // opset that cannot be raised is refused now, in one sentence, not after minutes of ADMM).
  // Per-layer overrides (allocation.ts) give each layer its own rank and bits, or keep it.
  const output = { otherWeightBits: settings.otherBits, actBits: settings.actBits };
  const allocated = await allocatedJobs(model, settings, output, signal);
  // Without images the user's arrays give the statistics (as they give the calibration).
  const arrays = data?.source === null ? openModelArrays() : null;
  const dataAware = data !== undefined && dataAwareRun(settings, data.source, arrays !== null);
  const wanting = dataAware ? allocated.filter((j) => wantsInputMoments(j)) : [];
  const moments = wanting.length
    ? await runMoments(
        model,
        wanting.map((j) => j.name),
        settings.calibrate,
        data!,
        arrays,
        signal,
      )
    : null;
  const jobs: CompressJob[] = allocated.map((job) => {
    if (job.method !== 'admm') return job;
    const m = moments?.byLayer.get(job.name);
    // Published unless statistics came (a layer without them falls back, said in its result).
    return m ? { ...job, objective: 'data', inputMoments: m } : { ...job, objective: 'published' };
  });
  const keys = jobs.map((job) =>
    layerKey(modelKey(model), job, moments?.hashes.get(job.name) ?? null),
  );
  const missing = jobs.filter((_, i) => !cachedLayer(keys[i]));
  // Layers reused from this session's cache show as done at once, with their error.
  for (const key of keys) {
    const hit = cachedLayer(key);
    if (hit)
      onProgress({
        layer: hit.name,
        status: 'done',
        outerStep: hit.iterations,
        error: hit.error,
        progress: 1,
      });
  }
  onPlanNote?.(compressPool().planNote(missing));
  const fresh = await compressLayers(missing, { onProgress, signal });
  for (const result of fresh) {
    const i = jobs.findIndex((j) => j.name === result.name);
    cacheLayer(keys[i], result);
  }
  return { results: keys.map((key) => cachedLayer(key)!), moments };
}

function evaluationPart(
  evalSettings: EvalSettings,
  source: Extract<CalibrationSource, { kind: 'evaluation' }>,
) {
  return {
    subset: evalSettings.subset,
    limit: evalSettings.limit ?? undefined,
    images: source.images,
  };
}

export async function originalBytes(model: ModelOverview): Promise<Uint8Array> {
  return new Uint8Array(await modelWorker().bytes(model.modelId));
}

/**
 * Where a run's calibration images (and 8-bit activation ranges) come from: the separate set, or,
 * without one, a part of the evaluation set that the run then does not evaluate.
 */
export type CalibrationSource =
  /** `images`: how many of the set (default APP_CALIBRATION_IMAGES; a sweep point's, its sweep's). */
  | { kind: 'separate'; datasetId: string; images?: number }
  | { kind: 'evaluation'; datasetId: string; images: number }
  | null;

export function calibrationSource(
  settings: Pick<CompressSettings, 'calibrate' | 'actBits'>,
  datasets: { evaluation: { datasetId: string } | null; calibration: { datasetId: string } | null },
): CalibrationSource {
  if (datasets.calibration) return { kind: 'separate', datasetId: datasets.calibration.datasetId };
  const needed = settings.calibrate || settings.actBits < 32;
  if (!needed || !datasets.evaluation) return null;
  return {
    kind: 'evaluation',
    datasetId: datasets.evaluation.datasetId,
    images: APP_CALIBRATION_IMAGES,
  };
}

function separateImages(source: CalibrationSource): number | undefined {
  return source?.kind === 'separate' ? source.images : undefined;
}

/** The user's arrays when they were matched to the model open now, else null. */
export function openModelArrays(): TensorSet | null {
  const model = useAppStore.getState().model;
  return model ? inputArraysFor(model.modelId) : null;
}

export function buildModel(
  original: Uint8Array,
  results: LayerResult[],
  settings: CompressSettings,
  source: CalibrationSource,
  evalSettings: EvalSettings,
  signal: AbortSignal,
  onProgress: (p: ProgressEvent) => void,
  inputShapes: Record<string, number[]> | null = null,
): Promise<BuildResult> {
  const copy = original.slice().buffer;
  const arrays = openModelArrays();
  // No images: the user's arrays give the activation ranges and the calibration.
  const onArrays = source === null && arrays !== null;
  const call = evalWorker().buildCompressed(
    Comlink.transfer(
      {
        modelBytes: copy,
        results,
        otherWeightBits: settings.otherBits,
        actBits: settings.actBits,
        calibrate: settings.calibrate && (source !== null || onArrays),
        calibrationDatasetId: source?.datasetId ?? null,
        fromEvaluation: source?.kind === 'evaluation' ? evaluationPart(evalSettings, source) : null,
        spec: evalSettings.spec ?? undefined,
        inputShapes,
        separateImages: separateImages(source),
        checkData: arrays,
        calibrateOnArrays: onArrays && (settings.calibrate || settings.actBits < 32),
        ...outputForm(settings),
      },
      [copy],
    ),
    Comlink.proxy(onProgress),
  );
  return abortable(call, signal);
}

export interface EvaluateInput {
  datasetId: string;
  model: Uint8Array;
  reference: Uint8Array | null;
  evalSettings: EvalSettings;
  latencyRuns: number;
  /** Images of the evaluation set this run gave to calibration: evaluate the others. */
  calibrationImages?: number;
  /** Ask for this many images with both models' top-1 (needs `reference`). */
  sampleImages?: number;
}

export interface Evaluated {
  summary: EvalSummary;
  /** Session only (thumbnails are bytes): never into the stored result row. */
  sample: PredictionSample | null;
}

export async function evaluateBytes(
  input: EvaluateInput,
  signal: AbortSignal,
  onProgress: (p: ProgressEvent) => void,
): Promise<Evaluated> {
  const model = input.model.slice().buffer;
  const reference = input.reference?.slice().buffer;
  const transfers = reference ? [model, reference] : [model];
  const { evalSettings } = input;
  const call = evalWorker().evaluate(
    Comlink.transfer(
      {
        datasetId: input.datasetId,
        model,
        reference,
        subset: evalSettings.subset,
        limit: evalSettings.limit ?? undefined,
        spec: evalSettings.spec ?? undefined,
        latencyRuns: input.latencyRuns,
        calibrationImages: input.calibrationImages,
        sampleImages: input.sampleImages,
      },
      transfers,
    ),
    Comlink.proxy(onProgress),
  );
  const report = await abortable(call, signal);
  const latency = (l: typeof report.latencyMs) => (l ? { median: l.median, p90: l.p90 } : null);
  const summary: EvalSummary = {
    accuracy: report.accuracy,
    top5: report.top5,
    agreement: report.agreement,
    klDiv: report.klDiv,
    images: report.images,
    latencyMs: latency(report.latencyMs),
    referenceLatencyMs: latency(report.referenceLatencyMs),
    threads: report.threads,
  };
  return { summary, sample: report.sample };
}

/**
 * Without labelled images: the written model against the original on the user's arrays, every
 * output (agreement with the original, never accuracy); samples that calibrated the run are left
 * out when others remain.
 */
export function compareOnArrays(
  input: { model: Uint8Array; reference: Uint8Array; data: TensorSet; calibratedOnArrays: boolean },
  signal: AbortSignal,
  onProgress: (p: ProgressEvent) => void,
): Promise<ArraysAgreement> {
  const model = input.model.slice().buffer;
  const reference = input.reference.slice().buffer;
  const call = evalWorker().compareOnArrays(
    Comlink.transfer(
      { model, reference, data: input.data, calibratedOnArrays: input.calibratedOnArrays },
      [model, reference],
    ),
    Comlink.proxy(onProgress),
  );
  return abortable(call, signal);
}
