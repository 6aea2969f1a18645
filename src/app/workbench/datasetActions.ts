// Loading evaluation and calibration sets into the eval worker. The page keeps the File (not
// its bytes) so a restarted worker can be given the same data again without asking the user.
import * as Comlink from 'comlink';
import { calibrationDataProblem } from '../../core/calibrate/fromData.ts';
import { guessDatasetFormat } from '../../core/data/loadDataset.ts';
import type { ProgressEvent } from '../../core/util/progress.ts';
import { evalWorker, evalWorkerGeneration, onEvalWorkerCrash } from '../bridge/evalClient.ts';
import type { DatasetSummary } from '../bridge/evalTypes.ts';
import { useAppStore } from '../store.ts';
import { createStepGate } from './stepGate.ts';
import { type DatasetRole, useSession } from './store.ts';

const files: Record<DatasetRole, File | null> = { evaluation: null, calibration: null };
let loadedGeneration = -1;
/** Worker crashes since the last dataset load that worked. */
let crashesInARow = 0;
/** A load's late progress must not bring back its bar after it ended (see stepGate.ts). */
const loadSteps: Record<DatasetRole, ReturnType<typeof createStepGate>> = {
  evaluation: createStepGate(),
  calibration: createStepGate(),
};

function setRole<K extends 'datasets' | 'datasetLoads' | 'datasetErrors'>(
  key: K,
  role: DatasetRole,
  value: ReturnType<typeof useSession.getState>[K][DatasetRole],
): void {
  useSession.setState((s) => ({ [key]: { ...s[key], [role]: value } }) as never);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Parses a dataset file in the eval worker (with progress); errors stay beside its chooser. */
export async function loadDatasetFile(role: DatasetRole, file: File): Promise<void> {
  const format = guessDatasetFormat(file.name);
  setRole('datasetErrors', role, null);
  if (!format) {
    setRole(
      'datasetErrors',
      role,
      `${file.name}: unknown format; use a CIFAR-10 .bin, a .zip of class folders, or a .npy`,
    );
    return;
  }
  setRole('datasetLoads', role, { fileName: file.name, status: 'reading', progress: null });
  try {
    const previous = useSession.getState().datasets[role];
    const buffer = await file.arrayBuffer();
    const onProgress = Comlink.proxy(
      loadSteps[role].open((p: ProgressEvent) =>
        setRole('datasetLoads', role, {
          fileName: file.name,
          status: p.status,
          progress: p.progress,
        }),
      ),
    );
    const summary = await evalWorker().loadDataset(
      Comlink.transfer(buffer, [buffer]),
      format,
      file.name,
      onProgress,
    );
    crashesInARow = 0;
    loadedGeneration = evalWorkerGeneration();
    const problem = role === 'calibration' ? calibrationMismatch(summary) : null;
    if (problem) {
      // Refused before any run: a calibration set the model cannot take is not kept.
      void evalWorker().closeDataset(summary.datasetId);
      setRole('datasetErrors', role, `${file.name} is not used: ${problem}`);
      return;
    }
    files[role] = file;
    setRole('datasets', role, summary);
    if (previous) void evalWorker().closeDataset(previous.datasetId);
  } catch (err) {
    setRole('datasetErrors', role, `Could not load ${file.name}: ${errorMessage(err)}`);
  } finally {
    loadSteps[role].close();
    setRole('datasetLoads', role, null);
  }
}

/** Why the open model cannot take these calibration images (both shapes named), or null. */
function calibrationMismatch(summary: DatasetSummary): string | null {
  const shape = useAppStore.getState().model?.summary.inputs[0]?.shape;
  return shape ? calibrationDataProblem(shape, summary) : null;
}

export function unloadDataset(role: DatasetRole): void {
  const summary = useSession.getState().datasets[role];
  files[role] = null;
  setRole('datasets', role, null);
  if (summary) void evalWorker().closeDataset(summary.datasetId);
}

let reloading: Promise<void> = Promise.resolve();

/** After the worker was restarted, loads the kept files into the new one (once; callers wait). */
export function ensureDatasetsLoaded(): Promise<void> {
  if (loadedGeneration === evalWorkerGeneration()) return reloading;
  loadedGeneration = evalWorkerGeneration();
  reloading = (async () => {
    for (const role of ['evaluation', 'calibration'] as const) {
      setRole('datasets', role, null);
      const file = files[role];
      if (file) await loadDatasetFile(role, file);
    }
  })();
  return reloading;
}

// The datasets died with the worker: give the kept files to a fresh one, but not in a loop
// when every fresh worker dies too.
onEvalWorkerCrash(() => {
  if (++crashesInARow <= 2) void ensureDatasetsLoaded();
});
