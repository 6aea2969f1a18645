// The compression worker: runs the engine's compressLayer on one layer at a time. A thin comlink
// shell; the pool in src/app/bridge/compressPool.ts owns scheduling and cancellation (it
// terminates this worker, since a running factorization cannot be interrupted). In-layer
// threads: given a kernel team, a layer's big kernel calls are split across the pool's idle
// workers that joined it (help(), which blocks this worker until it is asked to leave).
import './lifeline.ts'; // first: its lock is taken before the heavier modules load
import * as Comlink from 'comlink';
import { compressLayer } from '../src/core/factor/compressLayer.ts';
import type { CompressJob, LayerProgress, LayerResult } from '../src/core/factor/types.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { runShare, threadedKernels } from '../src/core/kernels/threaded.ts';
import { type KernelTeam, serveTeam } from '../src/core/kernels/threadedTeam.ts';
import { throttleProgress } from '../src/core/util/progress.ts';

// Result arrays may be views into a larger buffer (kernel memory) or share one: copy those, so
// transferring never detaches anything but the result's own storage.
function owned<T extends Int8Array | Float32Array>(a: T, seen: Set<ArrayBufferLike>): T {
  const whole = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
  const out = whole && !seen.has(a.buffer) ? a : (a.slice() as T);
  seen.add(out.buffer);
  return out;
}

function ownedTransferables(result: LayerResult): Transferable[] {
  const seen = new Set<ArrayBufferLike>();
  for (const f of result.factors) {
    if (f.codes) f.codes = owned(f.codes, seen);
    if (f.scales) f.scales = owned(f.scales, seen);
    f.values = owned(f.values, seen);
  }
  return [...seen] as ArrayBuffer[];
}

export const compressWorkerApi = {
  /**
   * Compresses one layer; the job's weight arrives transferred and results go back the same way.
   * With `team`, workers that join it compute shares of the layer's big kernel calls.
   */
  async compress(
    job: CompressJob,
    onProgress?: (p: LayerProgress) => void,
    team?: KernelTeam | null,
  ): Promise<LayerResult> {
    const base = await loadKernels();
    const kernels = team
      ? threadedKernels(base, team, { note: (line) => console.warn(line) })
      : base;
    const report = onProgress
      ? throttleProgress((p: LayerProgress) => void onProgress(p))
      : undefined;
    const result = compressLayer(kernels, job, { onProgress: report });
    return Comlink.transfer(result, ownedTransferables(result));
  },
  /** Joins `team` in `slot` and computes the shares its owner hands out until asked to leave. */
  async help(team: KernelTeam, slot: number): Promise<'left' | 'taken'> {
    return serveTeam(await loadKernels(), team, slot, runShare);
  },
  /** Which kernels this worker runs ('wasm-simd' or 'js'). */
  async kernelsName(): Promise<string> {
    return (await loadKernels()).name;
  },
};

export type CompressWorkerApi = typeof compressWorkerApi;

// Expose only inside a worker, so tests can import the API and serve it over a MessageChannel.
const scope = globalThis as { WorkerGlobalScope?: unknown };
if (typeof scope.WorkerGlobalScope !== 'undefined') Comlink.expose(compressWorkerApi);
