// "Compress & evaluate" and its Cancel: the pipeline's steps with the run state kept in the
// store, the result row appended, and the compressed bytes kept for downloads. One run at a time.

import { calibrationDataProblem } from '../../core/calibrate/fromData.ts';
import type { LayerProgress, LayerResult } from '../../core/factor/types.ts';
import type { CompressionReport } from '../../core/rewrite/index.ts';
import type { ProgressEvent } from '../../core/util/progress.ts';
import { evalWorker, onEvalWorkerCrash, restartEvalWorker } from '../bridge/evalClient.ts';
import type { ArraysAgreement, PredictionSample } from '../bridge/evalTypes.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { useAppStore } from '../store.ts';
import { isAbort } from './abortable.ts';
import { ensureDatasetsLoaded, errorMessage } from './datasetActions.ts';
import { modelHash } from './modelHistory.ts';
import { keepModel, storedModel } from './modelStore.ts';
import {
  buildModel,
  type CalibrationSource,
  calibrationSource,
  compareOnArrays,
  evaluateBytes,
  factorizeLayers,
  modelKey,
  objectiveStatement,
  openModelArrays,
  originalBytes,
} from './pipeline.ts';
import { keepSample, SAMPLE_IMAGES } from './predictions.ts';
import type { CompressSettings } from './settings.ts';
import { stallMsFromLocation, startStallWatchdog } from './stallWatchdog.ts';
import { createStepGate } from './stepGate.ts';
import {
  type CheckSummary,
  type EvalSummary,
  IDLE_RUN,
  type LayerRunState,
  patchRun,
  type ResultRow,
  type RunPhase,
  type RunState,
  useSession,
  useWorkbench,
} from './store.ts';
import { exposeLayerResults } from './testHooks.ts';

export interface Artifacts {
  bytes: Uint8Array;
  report: CompressionReport;
}

/** Compressed models of this session by result row; modelStore.ts keeps them across reloads. */
const artifacts = new Map<string, Artifacts>();
let controller: AbortController | null = null;
/** Late progress of a finished step must not overwrite the run's state (see stepGate.ts). */
const steps = createStepGate();
/** Why the running step stopped when it was not the user: a crashed worker. */
let crash: string | null = null;

// A crashed worker never answers: stop waiting, and say what happened instead of "cancelled".
onEvalWorkerCrash((message) => {
  if (!controller) return;
  crash = `The evaluation worker stopped (${message}). Data is being reloaded; run again.`;
  controller.abort();
});

function failure(err: unknown): Partial<RunState> {
  if (crash) return { phase: 'failed', message: crash };
  if (isAbort(err)) return { phase: 'cancelled', detail: 'cancelled' };
  return { phase: 'failed', message: errorMessage(err) };
}

export function keptArtifacts(rowId: string): Artifacts | undefined {
  return artifacts.get(rowId);
}

/** Raises `run.stalled` while no progress comes; returns the function that stops watching. */
function watchForStall(): () => void {
  const dog = startStallWatchdog(
    stallMsFromLocation(),
    () => patchRun({ stalled: true }),
    () => patchRun({ stalled: false }),
  );
  const unsubscribe = useSession.subscribe((s, prev) => {
    if (s.run.events !== prev.run.events || s.run.phase !== prev.run.phase) dog.poke();
  });
  return () => {
    unsubscribe();
    dog.stop();
    patchRun({ stalled: false });
  };
}

/**
 * After a stall: a stuck worker never answers, so end the evaluation worker (its datasets are
 * loaded again from the kept files) and the busy compression workers, then run again.
 */
export async function retryRun(): Promise<void> {
  if (!controller) return;
  restartEvalWorker();
  controller.abort();
  await finished;
  await compressAndEvaluate();
}

export function cancelRun(): void {
  if (!controller) return;
  controller.abort();
  void evalWorker().cancel();
}

function onLayerProgress(p: LayerProgress): void {
  useSession.setState((s) => {
    const layers: Record<string, LayerRunState> = { ...s.run.layers, [p.layer]: p };
    const order = s.run.layerOrder.includes(p.layer)
      ? s.run.layerOrder
      : [...s.run.layerOrder, p.layer];
    const done = order.reduce((a, name) => a + (layers[name]?.progress ?? 0), 0);
    const progress = (0.6 * done) / Math.max(1, order.length);
    const detail = `${p.layer}: ${p.status}${p.outerStep ? `, step ${p.outerStep}` : ''}`;
    return {
      run: { ...s.run, layers, layerOrder: order, progress, detail, events: s.run.events + 1 },
    };
  });
}

function stepProgress(phase: RunPhase, from: number, span: number) {
  return steps.open((p: ProgressEvent) =>
    useSession.setState((s) => ({
      run: {
        ...s.run,
        phase: p.status.startsWith('calibrat') ? 'calibrating' : phase,
        detail: p.status,
        progress: from + span * (p.progress || 0),
        events: s.run.events + 1,
      },
    })),
  );
}

/** Factorize + rewrite (+ calibrate): the configuration's compressed model. */
async function compressConfiguration(
  model: ModelOverview,
  settings: CompressSettings,
  signal: AbortSignal,
) {
  patchRun({ phase: 'compressing', detail: 'preparing layers' });
  await ensureDatasetsLoaded();
  // Before any work: a calibration set that cannot feed this model is refused, with both shapes.
  const source = calibrationSource(settings, useSession.getState().datasets);
  const problem = calibrationProblem(model, source);
  if (problem) throw new Error(problem);
  const { evalSettings } = useWorkbench.getState();
  // Data-aware QAF: the layers' input statistics first (progress "input statistics"), then the
  // layers; the layers' gate opens with their first event, so it closes the statistics' one.
  let layerGate: ((p: LayerProgress) => void) | null = null;
  const { results, moments } = await factorizeLayers(
    model,
    settings,
    signal,
    (p) => {
      layerGate ??= steps.open(onLayerProgress);
      layerGate(p);
    },
    { source, evalSettings, onProgress: stepProgress('compressing', 0, 0) },
    (planNote) => patchRun({ planNote }),
  );
  exposeLayerResults(results);
  const objective = objectiveStatement(moments, results);
  patchRun({ objective });
  const original = await originalBytes(model);
  await ensureDatasetsLoaded();
  patchRun({ phase: 'rewriting', detail: 'writing the compressed model', progress: 0.6 });
  const built = await buildModel(
    original,
    results,
    settings,
    source,
    evalSettings,
    signal,
    stepProgress('rewriting', 0.6, 0.1),
    model.inputShapes,
  );
  patchRun({
    check: built.checkSummary,
    formNotes: built.formNotes,
    calibration: built.calibrationStatement,
    calibrationWarning: built.calibrationWarning,
  });
  // Images of the evaluation set that went to calibration are not evaluated.
  const setAside =
    source?.kind === 'evaluation' && built.calibrationImages > 0 ? source.images : undefined;
  // Without images the arrays gave the ranges, the calibration or the statistics (if asked).
  const calibratedOnArrays =
    source === null && (built.calibrated || settings.actBits < 32 || moments !== null);
  return { results, original, built: { ...built, objective }, setAside, calibratedOnArrays };
}

/** Why the separate calibration set cannot feed the model's input, or null. */
function calibrationProblem(model: ModelOverview, source: CalibrationSource): string | null {
  const shape = model.summary.inputs[0]?.shape;
  const set = useSession.getState().datasets.calibration;
  if (source?.kind !== 'separate' || !shape || !set) return null;
  return calibrationDataProblem(shape, set);
}

async function floatBaseline(
  original: Uint8Array,
  signal: AbortSignal,
  model: ModelOverview,
  setAside: number | undefined,
) {
  const data = useSession.getState().datasets.evaluation!;
  const { evalSettings, baselines } = useWorkbench.getState();
  const key = baselineKey(model, data.dataHash, { ...evalSettings, setAside });
  if (baselines[key]) return;
  const { summary } = await evaluateBytes(
    {
      datasetId: data.datasetId,
      model: original,
      reference: null,
      evalSettings,
      latencyRuns: 0,
      calibrationImages: setAside,
    },
    signal,
    stepProgress('evaluating', 0.7, 0.1),
  );
  if (summary.accuracy === null) return;
  useWorkbench.setState((s) => ({
    baselines: { ...s.baselines, [key]: { accuracy: summary.accuracy!, images: summary.images } },
  }));
}

export function baselineKey(
  model: Pick<ModelOverview, 'fileName' | 'sizeBytes'>,
  dataHash: string,
  e: { subset: string; limit: number | null; spec: unknown; setAside?: number },
): string {
  const key = [model.fileName, model.sizeBytes, dataHash, e.subset, e.limit, e.spec];
  // The float model is measured on the same images as the run: fewer when some calibrate.
  return JSON.stringify(e.setAside ? [...key, e.setAside] : key);
}

function resultRow(
  model: ModelOverview,
  settings: CompressSettings,
  results: LayerResult[],
  built: Artifacts & {
    calibrated: boolean;
    calibrationStatement: string | null;
    checkSummary: CheckSummary | null;
    objective: string | null;
  },
  evaluation: EvalSummary | null,
  sha256: string | null,
  arrays: ArraysAgreement | null = null,
): ResultRow {
  const totals = built.report.totals;
  return {
    id: crypto.randomUUID(),
    createdAt: Date.now(),
    modelFileName: model.fileName,
    settings,
    layers: results.map((r) => ({ name: r.name, rank: r.rank, error: r.error })),
    calibrated: built.calibrated,
    meanError: results.reduce((a, r) => a + r.error, 0) / Math.max(1, results.length),
    bopPercent: totals.bopPercent,
    params: totals.params,
    sizeBytes: built.bytes.length,
    floatSizeBytes: totals.floatSizeBytes,
    evaluation,
    dataFileName: evaluation ? (useSession.getState().datasets.evaluation?.fileName ?? null) : null,
    dataHash: evaluation ? (useSession.getState().datasets.evaluation?.dataHash ?? null) : null,
    calibration: built.calibrationStatement,
    objective: built.objective,
    modelHash: sha256,
    check: built.checkSummary,
    ...(arrays && { arrays }),
  };
}

/** The running compressAndEvaluate, so Retry can wait for it to wind down. */
let finished: Promise<void> = Promise.resolve();

/**
 * Runs the panel's settings, or `settings` (a point of a sweep on the user's arrays or of a budget
 * sweep, whose rows are marked `sweep`, the budget's with its BOP %).
 */
export function compressAndEvaluate(
  settings?: CompressSettings,
  options: { sweep?: boolean; budgetPercent?: number } = {},
): Promise<void> {
  if (controller) return finished;
  finished = compressAndEvaluateOnce(settings, options);
  return finished;
}

async function compressAndEvaluateOnce(
  given: CompressSettings | undefined,
  { sweep, budgetPercent }: { sweep?: boolean; budgetPercent?: number },
): Promise<void> {
  const model = useAppStore.getState().model;
  if (!model || controller) return;
  const settings = given ?? useWorkbench.getState().settings;
  controller = new AbortController();
  crash = null;
  const stopWatching = watchForStall();
  const { signal } = controller;
  useSession.setState({
    run: { ...IDLE_RUN, phase: 'compressing', detail: 'starting', startedAt: performance.now() },
  });
  try {
    const { results, original, built, setAside, calibratedOnArrays } = await compressConfiguration(
      model,
      settings,
      signal,
    );
    let evaluation: EvalSummary | null = null;
    let sample: PredictionSample | null = null;
    let arrays: ArraysAgreement | null = null;
    const data = useSession.getState().datasets.evaluation;
    const inputArrays = data ? null : openModelArrays();
    if (inputArrays) {
      arrays = await compareOnArrays(
        { model: built.bytes, reference: original, data: inputArrays, calibratedOnArrays },
        signal,
        stepProgress('evaluating', 0.8, 0.2),
      );
    }
    if (data) {
      await floatBaseline(original, signal, model, setAside);
      ({ summary: evaluation, sample } = await evaluateBytes(
        {
          datasetId: data.datasetId,
          model: built.bytes,
          reference: original,
          evalSettings: useWorkbench.getState().evalSettings,
          latencyRuns: 20,
          calibrationImages: setAside,
          sampleImages: SAMPLE_IMAGES,
        },
        signal,
        stepProgress('evaluating', 0.8, 0.2),
      ));
    }
    const sha256 = await modelHash(model).catch(() => null);
    const row = {
      ...resultRow(model, settings, results, built, evaluation, sha256, arrays),
      ...(sweep && { sweep: true }),
      ...(budgetPercent !== undefined && { budgetPercent }),
    };
    artifacts.set(row.id, { bytes: built.bytes, report: built.report });
    keepSample(row.id, sample);
    useWorkbench.setState((s) => ({ results: [...s.results, row] }));
    // The numbers are kept whatever happens to the bytes; a refusal is said by the store.
    void keepModel(row.id, { bytes: built.bytes, report: built.report });
    patchRun({
      phase: 'done',
      progress: 1,
      detail: data
        ? 'evaluated'
        : arrays
          ? 'compared with the original on your arrays (no labels: agreement, not accuracy)'
          : 'compressed (no evaluation data)',
    });
  } catch (err) {
    patchRun(failure(err));
  } finally {
    stopWatching();
    steps.close();
    controller = null;
    crash = null;
  }
}

/**
 * The row's compressed model: kept bytes (this session's, else the browser's store), or rebuilt
 * (cheap when its layers are cached).
 */
export async function artifactsFor(row: ResultRow): Promise<Artifacts> {
  const kept = artifacts.get(row.id) ?? (await storedModel(row.id));
  if (kept) {
    artifacts.set(row.id, kept);
    return kept;
  }
  const model = useAppStore.getState().model;
  if (!model || `${model.fileName}` !== row.modelFileName) {
    throw new Error(`open ${row.modelFileName} again to rebuild this model`);
  }
  if (controller) throw new Error('wait for the running step to finish');
  controller = new AbortController();
  crash = null;
  useSession.setState({
    run: { ...IDLE_RUN, phase: 'compressing', detail: 'rebuilding', startedAt: performance.now() },
  });
  try {
    const { built } = await compressConfiguration(model, row.settings, controller.signal);
    const rebuilt = { bytes: built.bytes, report: built.report };
    artifacts.set(row.id, rebuilt);
    void keepModel(row.id, rebuilt);
    patchRun({ phase: 'done', progress: 1, detail: 'rebuilt for download' });
    return rebuilt;
  } catch (err) {
    patchRun(
      isAbort(err) ? { phase: 'cancelled' } : { phase: 'failed', message: errorMessage(err) },
    );
    throw err;
  } finally {
    steps.close();
    controller = null;
  }
}

export { modelKey };
