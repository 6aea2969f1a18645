// The page's handle on the model worker: one worker, created on first use.
import * as Comlink from 'comlink';
import type { ModelWorkerApi } from '../../../workers/model.worker.ts';

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
    const worker = new Worker(new URL('../../../workers/model.worker.ts', import.meta.url), {
      type: 'module',
      name: 'model',
    });
    worker.addEventListener('error', (event) => {
      worker.terminate();
      remote = null;
      onCrash(event.message || 'the model worker could not start');
    });
    remote = Comlink.wrap<ModelWorkerApi>(worker);
  }
  return remote;
}

/** Sends a file's bytes to the worker without copying them (the buffer moves to the worker). */
export function openModelBytes(buffer: ArrayBuffer, fileName: string) {
  return modelWorker().open(Comlink.transfer(buffer, [buffer]), fileName);
}
