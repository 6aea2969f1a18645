// The three steps of a run, each a function of plain inputs: factorize the chosen layers in the
// worker pool (reusing this session's layer results), rewrite (+ calibrate) in the eval worker,
// evaluate there. runActions.ts strings them together and keeps the store up to date.
import * as Comlink from 'comlink';
import { APP_CALIBRATION_IMAGES } from '../../core/calibrate/defaults.ts';
import type { LayerProgress, LayerResult } from '../../core/factor/types.ts';
import type { ProgressEvent } from '../../core/util/progress.ts';
import { compressLayers } from '../bridge/compressPool.ts';
import { evalWorker } from '../bridge/evalClient.ts';
import type { BuildResult, PredictionSample } from '../bridge/evalTypes.ts';
import { modelWorker } from '../bridge/modelClient.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { abortable } from './abortable.ts';
import { allocatedJobs } from './allocationJobs.ts';
import { cachedLayer, cacheLayer, layerKey } from './layerCache.ts';
import type { CompressSettings } from './settings.ts';
import type { EvalSettings, EvalSummary } from './store.ts';

/** A model is identified across opens by its name and size (ids change on every open). */
export function modelKey(model: ModelOverview): string {
  return `${model.fileName}:${model.sizeBytes}`;
}

export async function factorizeLayers(
  model: ModelOverview,
  settings: CompressSettings,
  signal: AbortSignal,
  onProgress: (p: LayerProgress) => void,
): Promise<LayerResult[]> {
  // Before any solving: the file this run asks for must be one onnxruntime can load (an old
  // opset that cannot be raised is refused now, in one sentence, not after minutes of ADMM).
  // Per-layer overrides (allocation.ts) give each layer its own rank and bits, or keep it.
  const output = { otherWeightBits: settings.otherBits, actBits: settings.actBits };
  const jobs = await allocatedJobs(model, settings, output, signal);
  const keys = jobs.map((job) => layerKey(modelKey(model), job));
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
  const fresh = await compressLayers(missing, { onProgress, signal });
  for (const result of fresh) {
    const i = jobs.findIndex((j) => j.name === result.name);
    cacheLayer(keys[i], result);
  }
  return keys.map((key) => cachedLayer(key)!);
}

export async function originalBytes(model: ModelOverview): Promise<Uint8Array> {
  return new Uint8Array(await modelWorker().bytes(model.modelId));
}

/**
 * Where a run's calibration images (and 8-bit activation ranges) come from: the separate set, or,
 * without one, a part of the evaluation set that the run then does not evaluate.
 */
export type CalibrationSource =
  | { kind: 'separate'; datasetId: string }
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
  const call = evalWorker().buildCompressed(
    Comlink.transfer(
      {
        modelBytes: copy,
        results,
        otherWeightBits: settings.otherBits,
        actBits: settings.actBits,
        calibrate: settings.calibrate && source !== null,
        calibrationDatasetId: source?.datasetId ?? null,
        fromEvaluation:
          source?.kind === 'evaluation'
            ? {
                subset: evalSettings.subset,
                limit: evalSettings.limit ?? undefined,
                images: source.images,
              }
            : null,
        spec: evalSettings.spec ?? undefined,
        inputShapes,
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
