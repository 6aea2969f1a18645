// The page's handle on the evaluation worker (datasets, rewrite, calibration, evaluation,
// sweeps): one worker, started on first use (see workerClient.ts). `restartEvalWorker` ends it (a
// cancel that cannot wait) and the next call starts a fresh one, whose datasets must be loaded
// again. No idle time-out: the worker holds the loaded datasets.
import type * as Comlink from 'comlink';
import type { EvalWorkerApi } from '../../../workers/eval.worker.ts';
import { WorkerClient } from './workerClient.ts';

const client = new WorkerClient<EvalWorkerApi>({
  label: 'evaluation',
  create: (name) =>
    new Worker(new URL('../../../workers/eval.worker.ts', import.meta.url), {
      type: 'module',
      name,
    }),
});

/**
 * Called with the reason when the worker dies (an error, an unreadable message, or a silent end);
 * its pending calls have already been rejected, and the datasets it held are gone.
 */
export function onEvalWorkerCrash(listener: (message: string) => void): () => void {
  return client.onCrash(listener);
}

/** Changes whenever the worker ends, so callers can tell their datasets belong to a dead worker. */
export function evalWorkerGeneration(): number {
  return client.generation;
}

export function evalWorker(): Comlink.Remote<EvalWorkerApi> {
  return client.api;
}

/** Terminates the worker at once; its pending calls reject with an AbortError. */
export function restartEvalWorker(): void {
  client.terminate();
}
