// The compression worker: runs the engine's compressLayer on one layer at a time. A thin comlink
// shell; the pool in src/app/bridge/compressPool.ts owns scheduling and cancellation (it
// terminates this worker, since a running factorization cannot be interrupted).
import * as Comlink from 'comlink';
import { compressLayer } from '../src/core/factor/compressLayer.ts';
import type { CompressJob, LayerProgress, LayerResult } from '../src/core/factor/types.ts';
import { loadKernels } from '../src/core/kernels/index.ts';

/** Progress messages at most this often (plus every status change and the final one). */
export const PROGRESS_INTERVAL_MS = 100;

/** Throttles a progress stream to about ten a second without dropping status changes. */
export function throttleProgress(
  sink: (p: LayerProgress) => void,
  intervalMs = PROGRESS_INTERVAL_MS,
): (p: LayerProgress) => void {
  let lastMs = Number.NEGATIVE_INFINITY;
  let lastStatus = '';
  return (p) => {
    const now = performance.now();
    if (p.status === lastStatus && p.progress < 1 && now - lastMs < intervalMs) return;
    lastMs = now;
    lastStatus = p.status;
    sink(p);
  };
}

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
  /** Compresses one layer; the job's weight arrives transferred and results go back the same way. */
  async compress(job: CompressJob, onProgress?: (p: LayerProgress) => void): Promise<LayerResult> {
    const kernels = await loadKernels();
    const report = onProgress ? throttleProgress((p) => void onProgress(p)) : undefined;
    const result = compressLayer(kernels, job, { onProgress: report });
    return Comlink.transfer(result, ownedTransferables(result));
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
