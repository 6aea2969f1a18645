// The page's handle on the evaluation worker (datasets, rewrite, calibration, evaluation,
// sweeps). One worker, created on first use; `restartEvalWorker` ends it (a cancel that cannot
// wait, or a crash) and the next call starts a fresh one, whose datasets must be loaded again.
import * as Comlink from 'comlink';
import type { EvalWorkerApi } from '../../../workers/eval.worker.ts';

let worker: Worker | null = null;
let remote: Comlink.Remote<EvalWorkerApi> | null = null;
const crashListeners = new Set<(message: string) => void>();
/** Bumped on every restart, so callers can tell their datasets belong to a dead worker. */
let generation = 0;

/** Called when the worker dies or fails to start; its pending calls never settle. */
export function onEvalWorkerCrash(listener: (message: string) => void): () => void {
  crashListeners.add(listener);
  return () => crashListeners.delete(listener);
}

export function evalWorkerGeneration(): number {
  return generation;
}

export function evalWorker(): Comlink.Remote<EvalWorkerApi> {
  if (!remote) {
    const created = new Worker(new URL('../../../workers/eval.worker.ts', import.meta.url), {
      type: 'module',
      name: 'eval',
    });
    created.addEventListener('error', (event) => {
      if (worker !== created) return;
      restartEvalWorker();
      const message = event.message || 'the evaluation worker could not start';
      for (const listener of crashListeners) listener(message);
    });
    worker = created;
    remote = Comlink.wrap<EvalWorkerApi>(created);
  }
  return remote;
}

/** Terminates the worker at once; its pending calls never settle, so callers stop waiting. */
export function restartEvalWorker(): void {
  worker?.terminate();
  worker = null;
  remote = null;
  generation++;
}

/** Settles with `promise`, or rejects as soon as the worker crashes (its answer would never come). */
export function untilCrash<T>(promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = onEvalWorkerCrash((message) =>
      reject(new Error(`the evaluation worker stopped (${message})`)),
    );
    promise.then(resolve, reject).finally(stop);
  });
}
