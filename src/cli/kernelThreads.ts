// Node shell of the in-layer threads (src/core/kernels/threaded.ts): worker_threads that join a
// kernel team as helpers. `KernelHelpers` serves one owner thread (this one) with its own
// helper threads, for a layer that runs alone; the worker pool (threadPool.ts) instead sends
// its idle workers to help a busy one.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type ThreadedKernels,
  type ThreadedOptions,
  threadedKernels,
} from '../core/kernels/threaded.ts';
import {
  createTeam,
  DEAD,
  EMPTY,
  IDLE,
  type KernelTeam,
  markDead,
  requestLeave,
  TeamControl,
} from '../core/kernels/threadedTeam.ts';
import type { Kernels } from '../core/kernels/types.ts';
import type { HelperReply, HelperRequest } from './kernelThread.ts';

const require = createRequire(import.meta.url);

/**
 * A worker thread running the TypeScript module at `entry`: Node does not load TypeScript by
 * itself, so a one-line ES module (a data: URL) registers tsx in the new thread first.
 */
export function spawnTsWorker(entry: URL, workerData: unknown): Worker {
  const tsxApi = pathToFileURL(
    `${dirname(require.resolve('tsx/package.json'))}/dist/esm/api/index.mjs`,
  ).href;
  const code = [
    `import { register } from ${JSON.stringify(tsxApi)};`,
    'register();',
    `await import(${JSON.stringify(entry.href)});`,
  ].join('\n');
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData });
}

/**
 * `helpers` threads serving `kernels` of this thread: `kernels` splits big calls across them
 * once they have joined (`ready`). close() asks them to leave and ends them.
 */
export class KernelHelpers {
  readonly team: KernelTeam;
  readonly kernels: ThreadedKernels;
  /** Resolves when every helper has joined; rejects if one cannot (other kernels, a crash). */
  readonly ready: Promise<void>;
  private readonly workers: Worker[] = [];
  private closing = false;

  constructor(base: Kernels, helpers: number, options: ThreadedOptions = {}) {
    this.team = createTeam(helpers);
    this.kernels = threadedKernels(base, this.team, options);
    const control = new TeamControl(this.team);
    const joined: Promise<void>[] = [];
    for (let slot = 0; slot < helpers; slot++) {
      const worker = spawnTsWorker(new URL('./kernelThread.ts', import.meta.url), {
        relaxedSimd: base.name === 'wasm-relaxed-simd',
      });
      this.workers.push(worker);
      joined.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (reply: HelperReply) => {
            if (reply.kind !== 'ready') return;
            if (reply.kernels !== base.name) {
              reject(
                new Error(
                  `a kernel helper thread loaded the ${reply.kernels} kernels, this thread ${base.name}: results would differ`,
                ),
              );
              return;
            }
            worker.postMessage({ team: this.team, slot } satisfies HelperRequest);
            // The helper joins inside its loop: wait until its slot says so.
            const poll = () => {
              if (control.state(slot) !== IDLE) return void setTimeout(poll, 2);
              // Waiting in Atomics.wait, a helper must not keep the process alive on its own.
              worker.unref();
              resolve();
            };
            poll();
          });
          worker.on('error', (err) => {
            markDead(this.team, slot);
            reject(err);
          });
          worker.on('exit', (code) => {
            markDead(this.team, slot);
            if (!this.closing)
              reject(new Error(`a kernel helper thread stopped (exit code ${code})`));
          });
        }),
      );
    }
    this.ready = Promise.all(joined).then(() => undefined);
    this.ready.catch(() => {});
  }

  /** Helpers that have joined and are not leaving. */
  joined(): number {
    const control = new TeamControl(this.team);
    let n = 0;
    for (let s = 0; s < this.team.slots; s++) {
      const state = control.state(s);
      if (state !== EMPTY && state !== DEAD && !control.leaving(s)) n++;
    }
    return n;
  }

  /** Asks every helper to leave, then ends the threads. */
  async close(): Promise<void> {
    this.closing = true;
    for (let s = 0; s < this.team.slots; s++) requestLeave(this.team, s);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
