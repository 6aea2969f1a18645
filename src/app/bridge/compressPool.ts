// The page's handle on the compression workers: a pool of one worker per core behind one typed
// comlink bridge, each worker's lifecycle kept by a WorkerClient (workerClient.ts). A call's
// layers are queued largest estimated time first (core/factor/estimate.ts), calls FIFO; a cancel terminates the workers busy with the cancelled call (they are
// re-created lazily) and rejects at once with an AbortError. A worker that crashes or dies
// silently fails its call with a message naming the layer; the other layers of that call are
// dropped and a fresh worker serves the next call. Idle workers end after COMPRESS_IDLE_MS: they
// hold nothing between layers.
// In-layer threads (where the page is cross-origin isolated): a worker with no layer to take
// joins a busy worker's kernel team and computes shares of that layer's big kernel calls
// (src/core/kernels/threaded.ts), bitwise as the busy worker would; new layers call it back.
import * as Comlink from 'comlink';
import type { CompressWorkerApi } from '../../../workers/compress.worker.ts';
import { dominantLayerNote, estimateJobSeconds, largestFirst } from '../../core/factor/estimate.ts';
import type { CompressJob, LayerProgress, LayerResult } from '../../core/factor/types.ts';
import {
  clearLeave,
  createTeam,
  type KernelTeam,
  markDead,
  requestLeave,
} from '../../core/kernels/threadedTeam.ts';
import {
  type LockManagerLike,
  WorkerClient,
  WorkerCrashError,
  type WorkerLike,
} from './workerClient.ts';

export type { WorkerLike };

/** An idle compression worker ends after this long (a fresh one starts in well under a second). */
export const COMPRESS_IDLE_MS = 30_000;

export interface CompressCallOptions {
  /** Per-layer progress, about ten a second per busy layer, ending with status 'done'. */
  onProgress?: (progress: LayerProgress) => void;
  signal?: AbortSignal;
}

export interface CompressPoolOptions {
  /** Idle time-to-live of each worker; COMPRESS_IDLE_MS by default. */
  idleMs?: number;
  /** Web Locks for silent-death detection (navigator.locks by default; null for none). */
  locks?: LockManagerLike | null;
  /**
   * Idle workers help a busy layer whose estimateJobSeconds is at least this; default 8 (a 3x3
   * conv of 128 channels at rate 2 is about 10, of 96 about 4: smaller ones gain little)
   * where the page has SharedArrayBuffer (cross-origin isolated), null for never.
   */
  inLayerMinSeconds?: number | null;
}

/** SharedArrayBuffer is there (a cross-origin isolated page, a worker of one, or Node). */
function sharedMemory(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return typeof SharedArrayBuffer !== 'undefined' && g.crossOriginIsolated !== false;
}

interface Task {
  job: CompressJob;
  owner: symbol;
  onProgress?: (progress: LayerProgress) => void;
  resolve(result: LayerResult): void;
  reject(error: unknown): void;
}

/**
 * One worker per core the page may use (navigator.hardwareConcurrency). Not one fewer: while
 * layers are factorized the page's own thread only draws progress and the evaluation worker
 * waits for the results, so a spare core would sit idle (on a 2-core machine, half the machine).
 */
export function defaultPoolSize(): number {
  const cores = typeof navigator === 'undefined' ? 2 : navigator.hardwareConcurrency || 2;
  return Math.max(1, cores);
}

function createCompressWorker(name: string): WorkerLike {
  return new Worker(new URL('../../../workers/compress.worker.ts', import.meta.url), {
    type: 'module',
    name,
  });
}

function abortError(): DOMException {
  return new DOMException('compression cancelled', 'AbortError');
}

function layerFailure(err: unknown, layer: string): unknown {
  if (!(err instanceof WorkerCrashError)) return err;
  return new Error(
    `the compression worker stopped while compressing ${layer} (${err.reason}). Run again: a fresh worker will start.`,
  );
}

// Transfer the weight, copying first if it is a view into someone else's buffer (a whole
// model file, say), which transferring would detach. Input statistics (data-aware QAF) are
// transferred as copies: the page keeps them for the next run on the same images.
export function transferJob(job: CompressJob): CompressJob {
  const w = job.weight;
  const owned = w.byteOffset === 0 && w.byteLength === w.buffer.byteLength ? w : w.slice();
  const buffers: ArrayBuffer[] = [owned.buffer as ArrayBuffer];
  const m = job.inputMoments;
  const copy = <T extends Float64Array | undefined>(a: T): T => {
    if (!a) return a;
    const c = a.slice();
    buffers.push(c.buffer);
    return c as T;
  };
  const inputMoments = m && {
    ...m,
    channel: copy(m.channel),
    channelSum: copy(m.channelSum),
    spatial: copy(m.spatial),
  };
  return Comlink.transfer({ ...job, weight: owned, ...(m && { inputMoments }) }, buffers);
}

export class CompressPool {
  private readonly workers: WorkerClient<CompressWorkerApi>[];
  /** The task each worker runs, by index. */
  private readonly busy: (Task | null)[];
  private queue: Task[] = [];
  /** Each worker's kernel team (created lazily), and whom each helping worker helps. */
  private readonly teams: (KernelTeam | null)[];
  private readonly helping: ({ owner: number; slot: number; team: KernelTeam } | null)[];
  private readonly inLayerMinSeconds: number | null;
  /** Times an idle worker was sent to help a busy one (tests). */
  helpsSent = 0;

  constructor(
    readonly size = defaultPoolSize(),
    createWorker: (name: string) => WorkerLike = createCompressWorker,
    { idleMs = COMPRESS_IDLE_MS, locks, inLayerMinSeconds }: CompressPoolOptions = {},
  ) {
    const count = Math.max(1, size);
    this.workers = Array.from(
      { length: count },
      () =>
        new WorkerClient<CompressWorkerApi>({
          label: 'compression',
          create: createWorker,
          idleMs,
          locks,
        }),
    );
    this.busy = Array.from({ length: count }, () => null);
    this.teams = Array.from({ length: count }, () => null);
    this.helping = Array.from({ length: count }, () => null);
    const wanted = inLayerMinSeconds === undefined ? 8 : inLayerMinSeconds;
    this.inLayerMinSeconds = count > 1 && sharedMemory() ? wanted : null;
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
    // 'queued' is reported in job order; the tasks are queued largest first, so the longest
    // layer does not start last. Results stay in job order.
    const tasks: Task[] = [];
    const settled = jobs.map((job) => {
      onProgress?.({
        layer: job.name,
        status: 'queued',
        outerStep: 0,
        error: Number.NaN,
        progress: 0,
      });
      return new Promise<LayerResult>((resolve, reject) => {
        tasks.push({ job, owner, onProgress, resolve, reject });
      });
    });
    for (const i of largestFirst(jobs)) this.queue.push(tasks[i]);
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

  /** Terminates every worker; queued and running layers are rejected with an AbortError. */
  terminate(): void {
    for (const task of this.queue) task.reject(abortError());
    this.queue = [];
    this.workers.forEach((worker, i) => {
      this.busy[i]?.reject(abortError());
      this.busy[i] = null;
      this.helping[i] = null;
      this.teams[i] = null;
      worker.terminate();
    });
  }

  /** Which kernels the pool's workers run ('wasm-relaxed-simd', 'wasm-simd' or 'js'), asked of the first worker. */
  kernelsName(): Promise<string> {
    return this.workers[0].api.kernelsName();
  }

  /**
   * A sentence for the run panel when one layer dominates these jobs on this pool, else null:
   * its thread alone bounds the run, or, when it is big enough for idle workers to help inside
   * it, it bounds the run less.
   */
  planNote(jobs: readonly CompressJob[]): string | null {
    const est = jobs.map(estimateJobSeconds);
    const top = est.indexOf(Math.max(...est));
    // Helpers join only layers estimated above the threshold; the others run on one thread.
    if (this.inLayerMinSeconds === null || !(est[top] >= this.inLayerMinSeconds)) {
      return dominantLayerNote(jobs, Math.min(this.workers.length, jobs.length));
    }
    if (!dominantLayerNote(jobs, this.workers.length)) return null;
    const pct = Math.round((100 * est[top]) / est.reduce((s, e) => s + e, 0));
    return `${jobs[top].name} is about ${pct} % of the estimated work: workers without a layer help inside it (its big matrix products and projections), so it runs faster, but not ${this.workers.length} times faster`;
  }

  /** Workers busy with a layer right now. */
  get busyWorkers(): number {
    return this.busy.filter(Boolean).length;
  }

  /** Workers alive right now (for tests and the UI's status line). */
  get liveWorkers(): number {
    return this.workers.filter((w) => w.alive).length;
  }

  private cancel(owner: symbol): void {
    this.queue = this.queue.filter((t) => t.owner !== owner);
    this.workers.forEach((worker, i) => {
      if (this.busy[i]?.owner !== owner) return;
      this.busy[i] = null;
      worker.terminate(); // its pending call rejects; the next task gets a fresh worker
      this.releaseHelpers(i, true);
    });
    this.pump();
  }

  private pump(): void {
    for (let i = 0; i < this.workers.length && this.queue.length > 0; i++) {
      if (!this.busy[i] && !this.helping[i]) void this.run(i, this.queue.shift()!);
    }
    if (this.inLayerMinSeconds !== null) this.balanceHelpers(this.inLayerMinSeconds);
  }

  // Queued layers call the helpers back; otherwise idle workers join the least-helped big layer.
  private balanceHelpers(minSeconds: number): void {
    if (this.queue.length > 0) {
      for (const h of this.helping) if (h) requestLeave(h.team, h.slot);
      return;
    }
    for (let i = 0; i < this.workers.length; i++) {
      if (this.busy[i] || this.helping[i]) continue;
      let best: { owner: number; slot: number; helpers: number } | null = null;
      this.busy.forEach((task, owner) => {
        const team = this.teams[owner];
        if (!task || !team || estimateJobSeconds(task.job) < minSeconds) return;
        const used = new Set(this.helping.filter((h) => h?.team === team).map((h) => h!.slot));
        let slot = 0;
        while (used.has(slot)) slot++;
        if (slot < team.slots && (!best || used.size < best.helpers)) {
          best = { owner, slot, helpers: used.size };
        }
      });
      if (!best) return;
      void this.help(i, best);
    }
  }

  private async help(i: number, { owner, slot }: { owner: number; slot: number }): Promise<void> {
    const team = this.teams[owner]!;
    clearLeave(team, slot);
    this.helping[i] = { owner, slot, team };
    this.helpsSent++;
    try {
      await this.workers[i].api.help(team, slot);
    } catch {
      // The helper died: its owner's call fails with the reason instead of waiting for it, and
      // the owner gets a fresh team for its next layer.
      markDead(team, slot);
      if (this.teams[owner] === team) this.teams[owner] = null;
    } finally {
      if (this.helping[i]?.team === team) this.helping[i] = null;
      this.pump();
    }
  }

  /** Worker i's layer ended (or it was terminated: its helpers are dismissed, its team renewed). */
  private releaseHelpers(i: number, terminated: boolean): void {
    const team = this.teams[i];
    if (!team) return;
    for (const h of this.helping) {
      if (h?.team !== team) continue;
      if (terminated) markDead(team, h.slot);
      else requestLeave(team, h.slot);
    }
    if (terminated) this.teams[i] = null;
  }

  private async run(i: number, task: Task): Promise<void> {
    this.busy[i] = task;
    if (this.inLayerMinSeconds !== null) this.teams[i] ??= createTeam(this.workers.length - 1);
    try {
      const progress = task.onProgress ? Comlink.proxy(task.onProgress) : undefined;
      const team = this.teams[i];
      task.resolve(await this.workers[i].api.compress(transferJob(task.job), progress, team));
    } catch (err) {
      // Free this worker first, so ending the call's other layers leaves it running if it is healthy.
      if (this.busy[i] === task) {
        this.busy[i] = null;
        this.releaseHelpers(i, true);
      }
      task.reject(layerFailure(err, task.job.name));
      this.cancel(task.owner); // the call has failed: drop its other layers before they start
    } finally {
      if (this.busy[i] === task) {
        this.busy[i] = null;
        this.releaseHelpers(i, false);
      }
      this.pump();
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
