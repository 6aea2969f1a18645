// The CLI's worker pool (`--threads N`): layers are factorized in Node worker_threads, one layer
// per worker at a time, the largest (by estimated time) first, and the results come back in job
// order. Each worker runs the engine's compressLayer on the same kernels as this thread, and a
// layer's result depends only on its job (weight, settings, seed), so any thread count gives the
// same bytes as one (test/cli/threadPool.test.ts). With one thread nothing is spawned.
// A cancel (the signal) terminates the busy workers; Ctrl-C ends the process and its workers.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { configureOrt } from '../core/eval/session.ts';
import { compressLayer } from '../core/factor/compressLayer.ts';
import { methodSpec } from '../core/factor/methods/index.ts';
import type { CompressJob, LayerResult } from '../core/factor/types.ts';
import type { Kernels } from '../core/kernels/types.ts';
import type { Factorizer } from '../core/pipeline/index.ts';
import { cpDims, resolveRank } from '../core/util/rank.ts';
import type { PoolReply, PoolRequest } from './poolWorker.ts';
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

export const threadsUsage = `  --threads N      threads for factorizing (one layer per thread, largest first) and for
                   onnxruntime's evaluation (default: all ${machineThreads()} cores; 0 or more than
                   the machine has is clamped). Results are identical for any N.`;

/**
 * A layer's estimated seconds, for ordering only: the registry's estimate (a ResNet-20's 18
 * block convs, 16..64 channels) scaled by the work of an ALS/ADMM sweep, I J K R (MTTKRP) plus
 * (I + J + K) R^2 (the solves), or by the weight's size for a method that does not factorize.
 */
export function estimateJobSeconds(job: CompressJob): number {
  const spec = methodSpec(job.method);
  const size = job.shape.reduce((p, d) => p * d, 1);
  // One ResNet-20 32-channel 3x3 conv at rate 2 (rank 115): the 18 convs' average work, roughly.
  const reference = 32 * 32 * 9 * 115 + (32 + 32 + 9) * 115 * 115;
  if (!spec.factorizes) return (spec.estimateSeconds / 18) * (size / (32 * 32 * 9));
  const dims = cpDims(job.shape);
  let rank: number;
  try {
    rank = resolveRank(dims, job.rank, job.rate);
  } catch {
    return 0; // compressLayer will refuse the job with the reason; order does not matter
  }
  const modes = dims.reduce((s, d) => s + d, 0);
  return (spec.estimateSeconds / 18) * ((size * rank + modes * rank * rank) / reference);
}

/** Job indices, the largest estimated time first (ties in job order). */
export function largestFirst(jobs: readonly CompressJob[]): number[] {
  const est = jobs.map(estimateJobSeconds);
  return jobs.map((_, i) => i).sort((a, b) => est[b] - est[a] || a - b);
}

export interface PooledFactorizerOptions {
  /** A layer finished: its result, how many are done (1..count) and how many there are. */
  onResult?: (result: LayerResult, done: number, count: number) => void;
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
    const order = largestFirst(jobs);
    const results: LayerResult[] = new Array(jobs.length);
    let done = 0;
    const finish = (i: number, result: LayerResult) => {
      results[i] = result;
      options.onResult?.(result, ++done, jobs.length);
    };
    const workers = Math.min(threads, jobs.length);
    if (workers <= 1) {
      for (const i of order) {
        hooks.signal?.throwIfAborted();
        finish(
          i,
          compressLayer(kernels, jobs[i], {
            onProgress: hooks.onLayer,
            shouldStop: () => hooks.signal?.aborted ?? false,
          }),
        );
      }
      hooks.signal?.throwIfAborted();
      return results;
    }
    await runOnWorkers(kernels, jobs, order, workers, finish, hooks);
    return results;
  };
}

async function runOnWorkers(
  kernels: Kernels,
  jobs: readonly CompressJob[],
  order: number[],
  count: number,
  finish: (i: number, result: LayerResult) => void,
  hooks: Parameters<Factorizer>[1],
): Promise<void> {
  const queue = [...order];
  const pool: Worker[] = [];
  const stopAll = () => {
    for (const w of pool) void w.terminate();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        hooks.signal?.removeEventListener('abort', onAbort);
        stopAll();
        reject(err);
      };
      const onAbort = () => fail(hooks.signal?.reason ?? new Error('cancelled'));
      if (hooks.signal?.aborted) return onAbort();
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      const next = (worker: Worker) => {
        const i = queue.shift();
        if (i === undefined) {
          if (--running === 0 && !failed) {
            hooks.signal?.removeEventListener('abort', onAbort);
            resolve();
          }
          return;
        }
        // A weight may be a view into the whole model file: send its own bytes only.
        const w = jobs[i].weight;
        const whole = w.byteOffset === 0 && w.byteLength === w.buffer.byteLength;
        const request: PoolRequest = {
          index: i,
          job: { ...jobs[i], weight: whole ? w : w.slice() },
        };
        worker.postMessage(request);
      };
      for (let w = 0; w < count; w++) {
        const worker = spawnWorker(kernels.name);
        pool.push(worker);
        running++;
        worker.on('message', (reply: PoolReply) => {
          if (failed) return;
          if (reply.kind === 'progress') hooks.onLayer?.(reply.progress);
          else if (reply.kind === 'error') fail(new Error(reply.message));
          else if (reply.kind === 'ready') {
            if (reply.kernels !== kernels.name) {
              fail(
                new Error(
                  `a worker thread loaded the ${reply.kernels} kernels, this thread ${kernels.name}: results would differ; run with --threads 1`,
                ),
              );
            } else next(worker);
          } else {
            finish(reply.index, reply.result);
            next(worker);
          }
        });
        worker.on('error', (err) => fail(err));
        worker.on('exit', (code) => {
          if (!failed && code !== 0) fail(new Error(`a worker thread exited with code ${code}`));
        });
      }
    });
  } finally {
    stopAll();
  }
}

const require = createRequire(import.meta.url);

// The worker runs src/cli/poolWorker.ts. Node does not load TypeScript by itself: a one-line
// ES module (a data: URL) registers tsx in the new thread first, as bin/qaf does for the CLI.
function spawnWorker(kernelsName: string): Worker {
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
    workerData: { relaxedSimd: kernelsName === 'wasm-relaxed-simd' },
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
