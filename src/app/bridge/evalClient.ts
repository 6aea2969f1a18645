// The page's handle on the evaluation worker (datasets, rewrite, calibration, evaluation,
// sweeps). One worker, created on first use; `restartEvalWorker` ends it (a cancel that cannot
// wait, or a crash) and the next call starts a fresh one, whose datasets must be loaded again.
import * as Comlink from 'comlink';
import type { EvalWorkerApi } from '../../../workers/eval.worker.ts';

let worker: Worker | null = null;
let remote: Comlink.Remote<EvalWorkerApi> | null = null;
let onCrash: (message: string) => void = () => {};
/** Bumped on every restart, so callers can tell their datasets belong to a dead worker. */
let generation = 0;

export function onEvalWorkerCrash(listener: (message: string) => void): void {
  onCrash = listener;
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
      onCrash(event.message || 'the evaluation worker could not start');
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
