// The page's handle on the sensitivity worker: started on first use, terminated on cancel (a
// factorization cannot be interrupted) and ended after a minute idle (it holds no state).
import type * as Comlink from 'comlink';
import type { SensitivityWorkerApi } from '../../../workers/sensitivity.worker.ts';
import { WorkerClient } from './workerClient.ts';

const client = new WorkerClient<SensitivityWorkerApi>({
  label: 'sensitivity',
  create: (name) =>
    new Worker(new URL('../../../workers/sensitivity.worker.ts', import.meta.url), {
      type: 'module',
      name,
    }),
  idleMs: 60_000,
});

export function sensitivityWorker(): Comlink.Remote<SensitivityWorkerApi> {
  return client.api;
}

/** Ends the worker at once (the user cancelled); the next call starts a fresh one. */
export function stopSensitivityWorker(): void {
  client.terminate();
}
