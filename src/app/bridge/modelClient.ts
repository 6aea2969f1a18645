// The page's handle on the model worker: one worker, started on first use (see workerClient.ts).
// No idle time-out: the worker holds the parsed models.
import * as Comlink from 'comlink';
import type { ModelWorkerApi } from '../../../workers/model.worker.ts';
import { WorkerClient } from './workerClient.ts';

const client = new WorkerClient<ModelWorkerApi>({
  label: 'model',
  create: (name) =>
    new Worker(new URL('../../../workers/model.worker.ts', import.meta.url), {
      type: 'module',
      name,
    }),
});

/**
 * Called when the worker fails to start or dies (an uncaught error, or a silent end). Its pending
 * calls have been rejected; the page must forget the models it held.
 */
export function onModelWorkerCrash(listener: (message: string) => void): () => void {
  return client.onCrash(listener);
}

export function modelWorker(): Comlink.Remote<ModelWorkerApi> {
  return client.api;
}

/**
 * Terminates the worker at once (a parse the user cancelled): its pending calls reject with an
 * AbortError and the models it held are gone. The next call starts a fresh worker.
 */
export function restartModelWorker(): void {
  client.terminate();
}

/** Sends a file's bytes to the worker without copying them (the buffer moves to the worker). */
export function openModelBytes(buffer: ArrayBuffer, fileName: string) {
  return modelWorker().open(Comlink.transfer(buffer, [buffer]), fileName);
}
