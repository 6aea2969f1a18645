// "Run baseline sweep": the chosen methods over rates x bits (sweepGrid.ts) with the loaded data, in the eval
// worker, each point cached in IndexedDB (a repeated point costs one lookup). Rows stream into
// the store as they come; Cancel stops waiting at once and the worker at its next check.
import * as Comlink from 'comlink';
import { SWEEP_CALIBRATION_IMAGES } from '../../core/calibrate/defaults.ts';
import type { SweepPoint, SweepRow } from '../../core/sweep/types.ts';
import type { ProgressEvent } from '../../core/util/progress.ts';

type SweepPointLike = Pick<SweepPoint, 'method' | 'rate' | 'bits' | 'actBits' | 'calibrated'>;

import { evalWorker, onEvalWorkerCrash } from '../bridge/evalClient.ts';
import { useAppStore } from '../store.ts';
import { abortable, isAbort } from './abortable.ts';
import { arraysSweepPoints, runArraysSweep } from './arraysSweep.ts';
import { ensureDatasetsLoaded, errorMessage } from './datasetActions.ts';
import { originalBytes } from './pipeline.ts';
import { cancelRun } from './runActions.ts';
import { createStepGate } from './stepGate.ts';
import { patchSweep, type StoredSweepRow, useSession, useWorkbench } from './store.ts';
import { sweepGridSpec, sweepPointCount } from './sweepGrid.ts';

let controller: AbortController | null = null;
let crash: string | null = null;
/** The running sweep is a series of runs on the user's arrays (arraysSweep.ts). */
let sweepOnArrays = false;
/** Progress that arrives after the sweep ended is dropped (see stepGate.ts). */
const steps = createStepGate();

onEvalWorkerCrash((message) => {
  if (!controller) return;
  crash = `The evaluation worker stopped (${message}); finished points are kept.`;
  controller.abort();
});

/** The same grid point (method, rate, bits, activations, calibration). */
export function sameRow(a: SweepPointLike, b: SweepPointLike): boolean {
  return (
    a.method === b.method &&
    a.rate === b.rate &&
    a.bits === b.bits &&
    a.actBits === b.actBits &&
    a.calibrated === b.calibrated
  );
}

/** A measured row replaces the same point measured on the same images only (issue #16 item 5). */
function addRow(
  modelFileName: string,
  row: SweepRow,
  dataHash: string,
  how: Pick<StoredSweepRow, 'objective' | 'calibrationImages'>,
): void {
  const sameImages = (r: StoredSweepRow) => r.images === row.images && r.dataHash === dataHash;
  useWorkbench.setState((s) => ({
    sweepRows: [
      ...s.sweepRows.filter(
        (r) => r.modelFileName !== modelFileName || !sameRow(r, row) || !sameImages(r),
      ),
      { ...row, modelFileName, dataHash, ...how },
    ],
  }));
}

/** The sweep fell back to the published objective (e.g. a model with several inputs). */
function relabelRows(modelFileName: string, result: { rows: SweepRow[]; objective: string }) {
  const objective = result.objective === 'data' ? 'data' : 'published';
  useWorkbench.setState((s) => ({
    sweepRows: s.sweepRows.map((r) =>
      r.modelFileName === modelFileName &&
      !r.precomputed &&
      result.rows.some((x) => sameRow(x, r) && x.images === r.images)
        ? { ...r, objective }
        : r,
    ),
  }));
}

/** Runs the grid the user chose (store `sweepChoice`) on the loaded data. */
export async function runBaselineSweep(): Promise<void> {
  const model = useAppStore.getState().model;
  if (!model || controller) return;
  controller = new AbortController();
  const { signal } = controller;
  patchSweep({ running: true, status: 'running', detail: 'starting', progress: 0, message: null });
  try {
    await ensureDatasetsLoaded();
    const { evaluation, calibration } = useSession.getState().datasets;
    if (!evaluation && arraysForSweep()) {
      // No labelled images: the grid runs point by point on the arrays (arraysSweep.ts).
      const { settings, sweepChoice } = useWorkbench.getState();
      if (arraysSweepPoints(sweepChoice).length === 0)
        throw new Error('choose at least one method, rate and bit width');
      sweepOnArrays = true;
      await runArraysSweep(settings, sweepChoice, signal);
      patchSweep({ status: 'done', detail: 'done', progress: 1 });
      return;
    }
    if (!evaluation) throw new Error('load evaluation data first');
    const bytes = (await originalBytes(model)).buffer as ArrayBuffer;
    const { evalSettings, sweepChoice } = useWorkbench.getState();
    if (sweepPointCount(sweepChoice, calibration !== null) === 0)
      throw new Error('choose at least one method, rate and bit width');
    const published = useWorkbench.getState().settings.qafObjective === 'published';
    // As the worker decides it (runModelSweep): data-aware with a calibration set unless the
    // panel says Published; the sweep's result corrects it when the statistics could not be taken.
    const how: Pick<StoredSweepRow, 'objective' | 'calibrationImages'> = {
      objective: calibration && !published ? 'data' : 'published',
      ...(calibration && { calibrationImages: SWEEP_CALIBRATION_IMAGES }),
    };
    const onRow = Comlink.proxy((row: SweepRow) =>
      addRow(model.fileName, row, evaluation.dataHash, how),
    );
    const onProgress = Comlink.proxy(
      steps.open((p: ProgressEvent) => patchSweep({ detail: p.status, progress: p.progress })),
    );
    const call = evalWorker().sweep(
      Comlink.transfer(
        {
          modelBytes: bytes,
          datasetId: evaluation.datasetId,
          calibrationDatasetId: calibration?.datasetId ?? null,
          subset: evalSettings.subset,
          limit: evalSettings.limit ?? undefined,
          grid: sweepGridSpec(sweepChoice, calibration !== null),
          // QAF points are data-aware with a calibration set unless the panel says Published.
          ...(published && { objective: 'published' as const }),
        },
        [bytes],
      ),
      onRow,
      onProgress,
    );
    const result = await abortable(call, signal);
    if (result.objective !== how.objective) relabelRows(model.fileName, result);
    patchSweep({ status: 'done', detail: 'done', progress: 1 });
  } catch (err) {
    if (crash) patchSweep({ status: 'failed', message: crash });
    else if (isAbort(err)) patchSweep({ status: 'cancelled', detail: 'cancelled' });
    else patchSweep({ status: 'failed', message: errorMessage(err) });
  } finally {
    steps.close();
    patchSweep({ running: false });
    controller = null;
    crash = null;
    sweepOnArrays = false;
  }
}

/**
 * Stops the sweep: the page stops waiting at once; the worker stops at its next check (a point's
 * factorization in flight finishes first, a few seconds at most). Restarting the worker instead
 * would also drop its loaded datasets.
 */
export function cancelSweep(): void {
  if (!controller) return;
  controller.abort();
  // A sweep on arrays is a series of runs: stop the one running.
  if (sweepOnArrays) cancelRun();
  void evalWorker().cancel();
}

/** Without evaluation images, the user's arrays for the open model (a sweep runs on them). */
export function arraysForSweep(): boolean {
  const model = useAppStore.getState().model;
  const arrays = useSession.getState().inputArrays;
  return model !== null && arrays?.modelId === model.modelId;
}
