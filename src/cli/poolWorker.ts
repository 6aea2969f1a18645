// One thread of the CLI's worker pool (threadPool.ts): loads the kernels the main thread chose,
// then compresses one layer per request with the engine's compressLayer and posts the result
// back (its arrays transferred), with throttled progress in between. With room for helpers,
// its big kernel calls are split across the pool's idle workers that join its team; sent to
// help, it serves another worker's team until asked to leave (src/core/kernels/threaded.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { compressLayer } from '../core/factor/compressLayer.ts';
import type { CompressJob, LayerProgress, LayerResult } from '../core/factor/types.ts';
import { loadKernels } from '../core/kernels/index.ts';
import { runShare, type ThreadedOptions, threadedKernels } from '../core/kernels/threaded.ts';
import { createTeam, type KernelTeam, serveTeam } from '../core/kernels/threadedTeam.ts';
import { throttleProgress } from '../core/util/progress.ts';

export interface PoolRequest {
  index: number;
  job: CompressJob;
}

/** Join `team` as its helper in `slot` until asked to leave (in-layer threads). */
export interface PoolHelp {
  help: { team: KernelTeam; slot: number };
}

/** workerData: the kernel build, and room for helpers in this worker's own layers. */
export interface PoolWorkerData {
  relaxedSimd?: boolean;
  helperSlots?: number;
  inLayer?: Omit<ThreadedOptions, 'note'>;
}

export type PoolReply =
  | { kind: 'ready'; kernels: string; team: KernelTeam | null }
  | { kind: 'left'; slot: number }
  | { kind: 'progress'; index: number; progress: LayerProgress }
  | { kind: 'result'; index: number; result: LayerResult }
  | { kind: 'error'; index: number; message: string };

// Result arrays may share a buffer or be views into kernel memory: copy those, so transferring
// never detaches anything but the result's own storage.
function transferables(result: LayerResult): ArrayBuffer[] {
  const seen = new Set<ArrayBufferLike>();
  const own = <T extends Int8Array | Float32Array>(a: T): T => {
    const whole = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
    const out = whole && !seen.has(a.buffer) ? a : (a.slice() as T);
    seen.add(out.buffer);
    return out;
  };
  for (const f of result.factors) {
    if (f.codes) f.codes = own(f.codes);
    if (f.scales) f.scales = own(f.scales);
    f.values = own(f.values);
  }
  return [...seen] as ArrayBuffer[];
}

const port = parentPort;
if (port) {
  const { relaxedSimd, helperSlots, inLayer } = (workerData ?? {}) as PoolWorkerData;
  const base = await loadKernels({ relaxedSimd: relaxedSimd ?? false });
  // Idle workers of the pool may join this one's team and take shares of its big calls.
  const team = helperSlots ? createTeam(helperSlots) : null;
  // A call too big for shared memory runs on one thread; the user is told once, on stderr.
  const note = (line: string) => process.stderr.write(`${line}\n`);
  const kernels = team ? threadedKernels(base, team, { ...inLayer, note }) : base;
  port.on('message', (request: PoolRequest | PoolHelp) => {
    if ('help' in request) {
      const { slot } = request.help;
      serveTeam(base, request.help.team, slot, runShare);
      port.postMessage({ kind: 'left', slot } satisfies PoolReply);
      return;
    }
    const { index, job } = request;
    try {
      const report = throttleProgress((progress: LayerProgress) =>
        port.postMessage({ kind: 'progress', index, progress } satisfies PoolReply),
      );
      const result = compressLayer(kernels, job, { onProgress: report });
      port.postMessage(
        { kind: 'result', index, result } satisfies PoolReply,
        transferables(result),
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      port.postMessage({ kind: 'error', index, message } satisfies PoolReply);
    }
  });
  port.postMessage({ kind: 'ready', kernels: kernels.name, team } satisfies PoolReply);
}
