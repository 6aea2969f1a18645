// The page's handle on the compression workers: a pool of one worker per spare core behind one
// typed comlink bridge. Layers are queued FIFO; a cancel terminates the workers busy with the
// cancelled call (they are re-created lazily) and rejects at once with an AbortError. A worker
// that crashes fails its call with a message naming the layer; the other layers of that call are
// dropped and a fresh worker serves the next call.
import * as Comlink from 'comlink';
import type { CompressWorkerApi } from '../../../workers/compress.worker.ts';
import type { CompressJob, LayerProgress, LayerResult } from '../../core/factor/types.ts';

export interface CompressCallOptions {
  /** Per-layer progress, about ten a second per busy layer, ending with status 'done'. */
  onProgress?: (progress: LayerProgress) => void;
  signal?: AbortSignal;
}

/** What the pool needs of a worker: a comlink endpoint it can terminate. */
export type WorkerLike = Comlink.Endpoint & { terminate(): void };

interface Task {
  job: CompressJob;
  owner: symbol;
  onProgress?: (progress: LayerProgress) => void;
  resolve(result: LayerResult): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: WorkerLike;
  api: Comlink.Remote<CompressWorkerApi>;
  task: Task | null;
  /** Rejects when the worker dies, so a question put to it fails instead of hanging. */
  dead: Promise<never>;
}

export function defaultPoolSize(): number {
  const cores = typeof navigator === 'undefined' ? 2 : navigator.hardwareConcurrency || 2;
  return Math.max(1, cores - 1);
}

function createCompressWorker(): WorkerLike {
  return new Worker(new URL('../../../workers/compress.worker.ts', import.meta.url), {
    type: 'module',
    name: 'compress',
  });
}

function abortError(): DOMException {
  return new DOMException('compression cancelled', 'AbortError');
}

// Transfer the weight, copying first if it is a view into someone else's buffer (a whole
// model file, say), which transferring would detach.
function transferJob(job: CompressJob): CompressJob {
  const w = job.weight;
  const owned = w.byteOffset === 0 && w.byteLength === w.buffer.byteLength ? w : w.slice();
  return Comlink.transfer({ ...job, weight: owned }, [owned.buffer]);
}

export class CompressPool {
  private readonly slots: (Slot | null)[];
  private queue: Task[] = [];

  constructor(
    readonly size = defaultPoolSize(),
    private readonly createWorker: () => WorkerLike = createCompressWorker,
  ) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => null);
  }

  /**
   * Compresses every job (weights are transferred: the caller's arrays are detached) and
   * resolves with the results in job order.
   */
  compressLayers(
    jobs: readonly CompressJob[],
    options: CompressCallOptions = {},
  ): Promise<LayerResult[]> {
    const { onProgress, signal } = options;
    if (signal?.aborted) return Promise.reject(abortError());
    const owner = Symbol('compressLayers');
    const settled = jobs.map(
      (job) =>
        new Promise<LayerResult>((resolve, reject) => {
          onProgress?.({
            layer: job.name,
            status: 'queued',
            outerStep: 0,
            error: Number.NaN,
            progress: 0,
          });
          this.queue.push({ job, owner, onProgress, resolve, reject });
        }),
    );
    this.pump();
    return new Promise<LayerResult[]>((resolve, reject) => {
      const onAbort = () => {
        this.cancel(owner);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      Promise.all(settled)
        .then(resolve, (err) => {
          this.cancel(owner); // one failed layer ends the whole call
          reject(err);
        })
        .finally(() => signal?.removeEventListener('abort', onAbort));
    });
  }

  /** Terminates every worker; queued layers are rejected with an AbortError. */
  terminate(): void {
    for (const task of this.queue) task.reject(abortError());
    this.queue = [];
    this.slots.forEach((slot, i) => {
      slot?.worker.terminate();
      slot?.task?.reject(abortError());
      this.slots[i] = null;
    });
  }

  /** Which kernels the pool's workers run ('wasm-relaxed-simd', 'wasm-simd' or 'js'), asked of the first worker. */
  kernelsName(): Promise<string> {
    this.slots[0] ??= this.spawn();
    const slot = this.slots[0];
    return Promise.race([slot.api.kernelsName(), slot.dead]);
  }

  /** Workers alive right now (for tests and the UI's status line). */
  get liveWorkers(): number {
    return this.slots.filter((s) => s !== null).length;
  }

  private cancel(owner: symbol): void {
    this.queue = this.queue.filter((t) => t.owner !== owner);
    this.slots.forEach((slot, i) => {
      if (slot?.task?.owner !== owner) return;
      slot.worker.terminate(); // its pending call never settles: forget the slot
      this.slots[i] = null;
    });
    this.pump();
  }

  private pump(): void {
    for (let i = 0; i < this.slots.length && this.queue.length > 0; i++) {
      if (this.slots[i]?.task) continue;
      this.slots[i] ??= this.spawn();
      void this.run(this.slots[i]!, this.queue.shift()!);
    }
  }

  private spawn(): Slot {
    const worker = this.createWorker();
    let died: (reason: Error) => void = () => {};
    const dead = new Promise<never>((_, reject) => {
      died = reject;
    });
    dead.catch(() => {}); // nobody may be asking right now
    const api = Comlink.wrap<CompressWorkerApi>(worker);
    const slot: Slot = { worker, api, task: null, dead };
    // A worker that dies (script failed to load, uncaught error, out of memory) or cannot read
    // a message never answers its pending call: fail that layer instead of hanging, and replace
    // the worker on next use.
    const fail = (reason: string) => {
      died(new Error(`compression worker: ${reason}`));
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots[i] = null;
      worker.terminate();
      const task = slot.task;
      if (!task) {
        this.pump();
        return;
      }
      task.reject(
        new Error(
          `compression worker: ${reason} while compressing ${task.job.name}. Run again: a fresh worker will start.`,
        ),
      );
      this.cancel(task.owner); // the call has failed: drop its other layers now (this pumps)
    };
    worker.addEventListener('error', (event) =>
      fail((event as ErrorEvent).message || 'it failed to start or crashed'),
    );
    worker.addEventListener('messageerror', () => fail('a message could not be read'));
    return slot;
  }

  private async run(slot: Slot, task: Task): Promise<void> {
    slot.task = task;
    try {
      const progress = task.onProgress ? Comlink.proxy(task.onProgress) : undefined;
      task.resolve(await slot.api.compress(transferJob(task.job), progress));
    } catch (err) {
      task.reject(err);
    } finally {
      slot.task = null;
      if (this.slots.includes(slot)) this.pump();
    }
  }
}

let shared: CompressPool | null = null;

/** The app-wide pool, created on first use. */
export function compressPool(): CompressPool {
  shared ??= new CompressPool();
  return shared;
}

/** Compresses layers on the app-wide pool (see CompressPool.compressLayers). */
export function compressLayers(
  jobs: readonly CompressJob[],
  options: CompressCallOptions = {},
): Promise<LayerResult[]> {
  return compressPool().compressLayers(jobs, options);
}
