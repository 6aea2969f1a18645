// The CLI's worker pool (`--threads N`): layers are factorized in Node worker_threads, one layer
// per worker at a time, the largest (by estimated time) first, and the results come back in job
// order. Each worker runs the engine's compressLayer on the same kernels as this thread, and a
// layer's result depends only on its job (weight, settings, seed), so any thread count gives the
// same bytes as one (test/cli/threadPool.test.ts). With one thread nothing is spawned.
// In-layer threads: a worker with no layer left to take joins a busy worker's kernel team and
// computes shares of its big matrix products and projections (src/core/kernels/threaded.ts),
// bitwise as that worker would, so the tail of a run, and a layer that runs alone, use every
// thread. A layer arriving later calls the helpers back.
// A cancel (the signal) terminates the busy workers; Ctrl-C ends the process and its workers.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { configureOrt } from '../core/eval/session.ts';
import { compressLayer } from '../core/factor/compressLayer.ts';
import { dominantLayerNote, estimateJobSeconds } from '../core/factor/estimate.ts';
import type { CompressJob, LayerProgress, LayerResult } from '../core/factor/types.ts';
import {
  clearLeave,
  freeSlot,
  type KernelTeam,
  markDead,
  requestLeave,
} from '../core/kernels/threadedTeam.ts';
import type { Kernels } from '../core/kernels/types.ts';
import type { Factorizer } from '../core/pipeline/index.ts';
import type { PoolHelp, PoolReply, PoolRequest, PoolWorkerData } from './poolWorker.ts';
import { UsageError } from './util.ts';

/** Cores this process may use (os.availableParallelism: the affinity mask where Node reads it). */
export function machineThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * `--threads N`: absent means every core; 0 or more than the machine has is clamped into
 * 1..cores with a note (on stderr via `note`); anything else that is not an integer is refused.
 */
export function parseThreads(value: string | undefined, note: (line: string) => void): number {
  const cores = machineThreads();
  if (value === undefined) return cores;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new UsageError(
      `--threads must be a whole number of threads (0..${cores}), got "${value}"`,
    );
  }
  if (n === 0) {
    note(`--threads 0: using 1 thread (the least there is)`);
    return 1;
  }
  if (n > cores) {
    note(`--threads ${n}: this machine has ${cores} core${cores === 1 ? '' : 's'}; using ${cores}`);
    return cores;
  }
  return n;
}

/** The --threads help, its text starting at column `column` (as the command's other flags). */
export function threadsUsage(column = 19): string {
  const pad = ' '.repeat(column);
  const lines = [
    'threads for factorizing (one layer per thread, largest first; a thread with',
    'no layer left helps a wide one with its big matrix products) and for',
    `onnxruntime's evaluation (default: all ${machineThreads()} cores; 0 or more than the`,
    'machine has is clamped). The compressed layers are identical for any N.',
  ];
  return `  ${'--threads N'.padEnd(column - 2)}${lines.join(`\n${pad}`)}`;
}

export interface PooledFactorizerOptions {
  /** A layer finished: its result, how many are done (1..count) and how many there are. */
  onResult?: (result: LayerResult, done: number, count: number) => void;
  /** A line for the user: one layer dominates the run (dominantLayerNote). */
  note?: (line: string) => void;
  /** In-layer threads (on by default); false keeps every layer on one thread. */
  inLayer?: InLayerOptions | false;
}

export interface InLayerOptions {
  /**
   * Smallest estimateJobSeconds of a layer idle threads help with, or spawn for; default
   * IN_LAYER_MIN_SECONDS.
   */
  minSeconds?: number;
  /** Smallest kernel call split (multiply-adds); default threaded.ts's. */
  minMacs?: number;
  /** Smallest per-channel projection split (values); default threaded.ts's. */
  minProjectValues?: number;
}

/**
 * Layers estimated below this (estimateJobSeconds; a 3x3 conv of 128 channels at rate 2 is
 * about 10, of 96 about 4) have few kernel calls big enough to split: they run on one thread.
 */
export const IN_LAYER_MIN_SECONDS = 8;

/**
 * QAF_IN_LAYER_MIN_SECONDS: the estimated layer time from which idle threads help (default
 * IN_LAYER_MIN_SECONDS;
 * tests lower it so small layers take the in-layer path).
 */
function envMinSeconds(): number | undefined {
  const v = Number(process.env.QAF_IN_LAYER_MIN_SECONDS);
  return process.env.QAF_IN_LAYER_MIN_SECONDS && Number.isFinite(v) ? v : undefined;
}

/** The note for a layer that dominates a run whose idle threads help inside it. */
function helpedLayerNote(
  jobs: readonly CompressJob[],
  threads: number,
  minSeconds: number,
): string | null {
  const plain = dominantLayerNote(jobs, threads);
  if (!plain) return null;
  const est = jobs.map(estimateJobSeconds);
  const top = est.indexOf(Math.max(...est));
  // Helpers join only layers estimated above the threshold; the others run on one thread.
  if (!(est[top] >= minSeconds)) return plain;
  const pct = Math.round((100 * est[top]) / est.reduce((s, e) => s + e, 0));
  return `${jobs[top].name} is about ${pct} % of the estimated work: threads without a layer help inside it (its big matrix products and projections), so it runs faster but not ${threads} times faster`;
}

/**
 * A Factorizer over `threads` worker threads (in this thread when 1). Results are in job
 * order; the first failing layer ends the call (the other workers are stopped) with its error.
 */
export function pooledFactorizer(
  kernels: Kernels,
  threads: number,
  options: PooledFactorizerOptions = {},
): Factorizer {
  return async (jobs, hooks) => {
    const inLayer = options.inLayer ?? { minSeconds: envMinSeconds() };
    const minSeconds = inLayer
      ? (inLayer.minSeconds ?? IN_LAYER_MIN_SECONDS)
      : Number.POSITIVE_INFINITY;
    // More threads than layers pay only when a layer is big enough to share.
    const helped = jobs.some((job) => estimateJobSeconds(job) >= minSeconds);
    const pool = new LayerPool(kernels, helped ? threads : Math.min(threads, jobs.length), {
      inLayer,
    });
    const dominant = inLayer
      ? helpedLayerNote(jobs, pool.threads, minSeconds)
      : dominantLayerNote(jobs, pool.threads);
    if (dominant) options.note?.(dominant);
    let done = 0;
    const onAbort = () => pool.close(hooks.signal?.reason ?? new Error('cancelled'));
    hooks.signal?.throwIfAborted();
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.all(
        jobs.map(async (job) => {
          const result = await pool.compress(job, hooks.onLayer);
          options.onResult?.(result, ++done, jobs.length);
          return result;
        }),
      );
    } catch (err) {
      pool.close(err);
      throw err;
    } finally {
      hooks.signal?.removeEventListener('abort', onAbort);
      pool.close();
    }
  };
}

interface Task {
  job: CompressJob;
  estimate: number;
  seq: number;
  onProgress?: (p: LayerProgress) => void;
  resolve(result: LayerResult): void;
  reject(err: unknown): void;
}

/**
 * Layers on up to `threads` worker threads, spawned on first use and ended by close(). Jobs
 * submitted in one turn of the event loop start largest first. With one thread the layers run
 * in this thread, one per turn. A failing layer rejects its own call only.
 */
export class LayerPool {
  private queue: Task[] = [];
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  /** Each worker's kernel team (in-layer threads), and who helps whom in which slot. */
  private readonly teams = new Map<Worker, KernelTeam>();
  private readonly helping = new Map<Worker, { owner: Worker; slot: number }>();
  private readonly deadSlots = new Map<Worker, number[]>();
  private spawned = 0;
  private seq = 0;
  private scheduled = false;
  private closed: unknown = null;
  private readonly inLayer: InLayerOptions | false;
  /** Times an idle worker was sent to help a busy one (tests). */
  helpsSent = 0;

  constructor(
    private readonly kernels: Kernels,
    readonly threads: number,
    options: { inLayer?: InLayerOptions | false } = {},
  ) {
    this.inLayer = threads > 1 ? (options.inLayer ?? { minSeconds: envMinSeconds() }) : false;
  }

  compress(job: CompressJob, onProgress?: (p: LayerProgress) => void): Promise<LayerResult> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<LayerResult>((resolve, reject) => {
      const estimate = estimateJobSeconds(job);
      this.queue.push({ job, estimate, seq: this.seq++, onProgress, resolve, reject });
      this.schedule();
    });
  }

  /** Ends every worker; queued and running layers reject with `reason`. */
  close(reason: unknown = new Error('the thread pool was closed')): void {
    this.closed ??= reason;
    for (const task of this.queue) task.reject(reason);
    this.queue = [];
    for (const [worker, task] of this.busy) {
      task.reject(reason);
      void worker.terminate();
    }
    this.busy.clear();
    for (const worker of this.idle) void worker.terminate();
    this.idle.length = 0;
    for (const worker of this.helping.keys()) void worker.terminate();
    this.helping.clear();
  }

  // Deferred a turn, so a burst of submissions is sorted before the first one starts.
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private next(): Task | undefined {
    if (this.queue.length === 0) return undefined;
    this.queue.sort((a, b) => b.estimate - a.estimate || a.seq - b.seq);
    return this.queue.shift();
  }

  private pump(): void {
    if (this.closed) return;
    if (this.threads <= 1) {
      const task = this.next();
      if (!task) return;
      try {
        task.resolve(compressLayer(this.kernels, task.job, { onProgress: task.onProgress }));
      } catch (err) {
        task.reject(err);
      }
      this.schedule();
      return;
    }
    while (this.queue.length > 0 && this.idle.length > 0) this.start(this.idle.pop()!);
    while (this.queue.length > 0 && this.spawned < this.threads) this.spawn();
    if (this.inLayer) this.balanceHelpers(this.inLayer.minSeconds ?? IN_LAYER_MIN_SECONDS);
  }

  /** A busy worker whose layer is worth helping and has a free slot: the least helped, largest. */
  private ownerToHelp(minSeconds: number): { owner: Worker; slot: number } | null {
    let best: { owner: Worker; slot: number; helpers: number; estimate: number } | null = null;
    for (const [owner, task] of this.busy) {
      const team = this.teams.get(owner);
      if (!team || task.estimate < minSeconds) continue;
      const used = new Set(this.deadSlots.get(owner));
      for (const h of this.helping.values()) if (h.owner === owner) used.add(h.slot);
      const helpers = used.size;
      let slot = 0;
      while (used.has(slot)) slot++;
      if (slot >= team.slots) continue;
      if (
        !best ||
        helpers < best.helpers ||
        (helpers === best.helpers && task.estimate > best.estimate)
      ) {
        best = { owner, slot, helpers, estimate: task.estimate };
      }
    }
    return best && { owner: best.owner, slot: best.slot };
  }

  // Queued layers call helpers back; otherwise idle workers (spawned if need be) join teams.
  private balanceHelpers(minSeconds: number): void {
    if (this.queue.length > 0) {
      for (const { owner, slot } of this.helping.values()) {
        const team = this.teams.get(owner);
        if (team) requestLeave(team, slot);
      }
      return;
    }
    for (;;) {
      const target = this.ownerToHelp(minSeconds);
      if (!target) return;
      const helper = this.idle.pop();
      if (!helper) {
        const starting = this.spawned - this.idle.length - this.busy.size - this.helping.size;
        if (starting === 0 && this.spawned < this.threads) this.spawn();
        return;
      }
      const team = this.teams.get(target.owner)!;
      clearLeave(team, target.slot);
      this.helping.set(helper, target);
      helper.postMessage({ help: { team, slot: target.slot } } satisfies PoolHelp);
      this.helpsSent++;
    }
  }

  /** The owner's layer ended (or it stopped): its helpers leave; dead slots are free again. */
  private releaseHelpers(owner: Worker, ownerGone: boolean): void {
    const team = this.teams.get(owner);
    if (!team) return;
    for (const h of this.helping.values()) {
      if (h.owner !== owner) continue;
      if (ownerGone) markDead(team, h.slot);
      else requestLeave(team, h.slot);
    }
    for (const slot of this.deadSlots.get(owner) ?? []) freeSlot(team, slot);
    this.deadSlots.delete(owner);
  }

  private spawn(): void {
    this.spawned++;
    const inLayer = this.inLayer;
    const worker = spawnWorker(this.kernels.name, {
      helperSlots: inLayer ? this.threads - 1 : 0,
      inLayer: inLayer
        ? { minMacs: inLayer.minMacs, minProjectValues: inLayer.minProjectValues }
        : undefined,
    });
    // Referenced while busy only: an idle pool never keeps the process alive.
    let gone = false;
    worker.on('message', (reply: PoolReply) => {
      const task = this.busy.get(worker);
      if (reply.kind === 'left') {
        this.helping.delete(worker);
        if (!gone) this.idle.push(worker);
        this.pump();
        return;
      }
      if (reply.kind === 'ready') {
        if (reply.team) this.teams.set(worker, reply.team);
        if (reply.kernels !== this.kernels.name) {
          this.close(
            new Error(
              `a worker thread loaded the ${reply.kernels} kernels, this thread ${this.kernels.name}: results would differ; run with --threads 1`,
            ),
          );
          return;
        }
        worker.unref();
        this.idle.push(worker);
        this.pump();
      } else if (!task) {
        return;
      } else if (reply.kind === 'progress') {
        task.onProgress?.(reply.progress);
      } else {
        this.busy.delete(worker);
        this.releaseHelpers(worker, false);
        worker.unref();
        if (reply.kind === 'error') task.reject(new Error(reply.message));
        else task.resolve(reply.result);
        this.idle.push(worker);
        this.pump();
      }
    });
    const lost = (why: string) => {
      if (gone) return;
      gone = true;
      const task = this.busy.get(worker);
      this.busy.delete(worker);
      this.releaseHelpers(worker, true);
      this.teams.delete(worker);
      const helped = this.helping.get(worker);
      this.helping.delete(worker);
      const ownerTeam = helped && this.teams.get(helped.owner);
      if (helped && ownerTeam) {
        // Its owner's call fails with the reason rather than waiting; the slot is reused later.
        markDead(ownerTeam, helped.slot);
        this.deadSlots.set(helped.owner, [
          ...(this.deadSlots.get(helped.owner) ?? []),
          helped.slot,
        ]);
      }
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      this.spawned--;
      if (this.closed) return;
      const error = new Error(
        `a worker thread stopped${task ? ` while compressing ${task.job.name}` : ''}: ${why}` +
          (task ? '' : ' (--threads 1 factorizes in the main thread, without workers)'),
      );
      if (!task) return this.close(error);
      task.reject(error);
      this.pump(); // a fresh worker takes the rest of the queue
    };
    worker.on('error', (err: unknown) => lost(err instanceof Error ? err.message : String(err)));
    worker.on('exit', (code) => lost(`exit code ${code}`));
  }

  private start(worker: Worker): void {
    const task = this.next()!;
    this.busy.set(worker, task);
    worker.ref();
    // A weight may be a view into the whole model file: send its own bytes only.
    const w = task.job.weight;
    const whole = w.byteOffset === 0 && w.byteLength === w.buffer.byteLength;
    const request: PoolRequest = {
      index: task.seq,
      job: { ...task.job, weight: whole ? w : w.slice() },
    };
    worker.postMessage(request);
  }
}

const require = createRequire(import.meta.url);

// The worker runs src/cli/poolWorker.ts. Node does not load TypeScript by itself: a one-line
// ES module (a data: URL) registers tsx in the new thread first, as bin/qaf does for the CLI.
function spawnWorker(kernelsName: string, workerData: PoolWorkerData): Worker {
  const entry = new URL('./poolWorker.ts', import.meta.url).href;
  const tsxApi = pathToFileURL(
    `${dirname(require.resolve('tsx/package.json'))}/dist/esm/api/index.mjs`,
  ).href;
  const code = [
    `import { register } from ${JSON.stringify(tsxApi)};`,
    'register();',
    `await import(${JSON.stringify(entry)});`,
  ].join('\n');
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
    workerData: { ...workerData, relaxedSimd: kernelsName === 'wasm-relaxed-simd' },
  });
}

/**
 * Evaluation threads for onnxruntime-web in this process; call before the first session (the
 * runtime reads the setting once). More than one needs the directory of ort's .wasm as a path.
 */
export function setRuntimeThreads(threads: number): void {
  const dist = `${dirname(require.resolve('onnxruntime-web/wasm'))}/`;
  configureOrt(threads > 1 ? { numThreads: threads, wasmPaths: dist } : { numThreads: 1 });
}

/** Progress lines for factorizing in a pool: one per finished layer, in the order they finish. */
export function layerDoneLine(result: LayerResult, done: number, count: number): string {
  return `[${done}/${count}] ${result.name}: error ${result.error.toFixed(4)} (${result.ms.toFixed(0)} ms)\n`;
}
