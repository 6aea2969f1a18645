// The page's handle on the model worker: one worker, created on first use.
import * as Comlink from 'comlink';
import type { ModelWorkerApi } from '../../../workers/model.worker.ts';

let worker: Worker | null = null;
let remote: Comlink.Remote<ModelWorkerApi> | null = null;
let onCrash: (message: string) => void = () => {};

/**
 * Called when the worker fails to start or dies with an uncaught error. Its pending calls never
 * settle (comlink cannot tell), so the page must stop waiting and forget the models it held.
 */
export function onModelWorkerCrash(listener: (message: string) => void): void {
  onCrash = listener;
}

export function modelWorker(): Comlink.Remote<ModelWorkerApi> {
  if (!remote) {
    const created = new Worker(new URL('../../../workers/model.worker.ts', import.meta.url), {
      type: 'module',
      name: 'model',
    });
    created.addEventListener('error', (event) => {
      if (worker !== created) return;
      restartModelWorker();
      onCrash(event.message || 'the model worker could not start');
    });
    worker = created;
    remote = Comlink.wrap<ModelWorkerApi>(created);
  }
  return remote;
}

/**
 * Terminates the worker at once (a parse the user cancelled); its pending calls never settle and
 * the models it held are gone. The next call starts a fresh worker.
 */
export function restartModelWorker(): void {
  worker?.terminate();
  worker = null;
  remote = null;
}

/** Sends a file's bytes to the worker without copying them (the buffer moves to the worker). */
export function openModelBytes(buffer: ArrayBuffer, fileName: string) {
  return modelWorker().open(Comlink.transfer(buffer, [buffer]), fileName);
}
