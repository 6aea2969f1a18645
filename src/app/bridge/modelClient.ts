// The page's handle on the model worker: one worker, created on first use.
import * as Comlink from 'comlink';
import type { ModelWorkerApi } from '../../../workers/model.worker.ts';

let remote: Comlink.Remote<ModelWorkerApi> | null = null;

export function modelWorker(): Comlink.Remote<ModelWorkerApi> {
  if (!remote) {
    const worker = new Worker(new URL('../../../workers/model.worker.ts', import.meta.url), {
      type: 'module',
      name: 'model',
    });
    remote = Comlink.wrap<ModelWorkerApi>(worker);
  }
  return remote;
}

/** Sends a file's bytes to the worker without copying them (the buffer moves to the worker). */
export function openModelBytes(buffer: ArrayBuffer, fileName: string) {
  return modelWorker().open(Comlink.transfer(buffer, [buffer]), fileName);
}
