// The page's compression pool with in-layer threads: its idle worker joins the busy worker's
// kernel team and the layer comes out bitwise as on one thread. The workers are real threads
// here (Node worker_threads serving workers/compress.worker.ts's API over comlink), since a
// helper blocks its thread; the page's own thread never waits.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CompressPool, type WorkerLike } from '../../src/app/bridge/compressPool.ts';
import { compressLayer } from '../../src/core/factor/compressLayer.ts';
import type { CompressJob, LayerResult } from '../../src/core/factor/types.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { normalSampler } from '../../src/core/util/prng.ts';

const base = await loadKernels();
const require = createRequire(import.meta.url);

/** A worker_threads Worker serving compressWorkerApi, as a WorkerLike for the pool. */
function threadWorker(): WorkerLike {
  const tsx = pathToFileURL(
    `${dirname(require.resolve('tsx/package.json'))}/dist/esm/api/index.mjs`,
  );
  const dist = `${dirname(require.resolve('comlink/package.json'))}/dist/esm`;
  const comlink = pathToFileURL(`${dist}/comlink.mjs`).href;
  const adapter = pathToFileURL(`${dist}/node-adapter.mjs`).href;
  const api = new URL('../../workers/compress.worker.ts', import.meta.url).href;
  const code = `
    import { register } from ${JSON.stringify(tsx.href)};
    import { parentPort } from 'node:worker_threads';
    register();
    const Comlink = await import(${JSON.stringify(comlink)});
    const { default: nodeEndpoint } = await import(${JSON.stringify(adapter)});
    const { compressWorkerApi } = await import(${JSON.stringify(api)});
    Comlink.expose(compressWorkerApi, nodeEndpoint(parentPort));`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
  const listeners = new Map<unknown, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) =>
      worker.postMessage(message, transfer as never),
    addEventListener(type: string, handler: EventListenerOrEventListenerObject) {
      const call = (event: unknown) =>
        'handleEvent' in handler ? handler.handleEvent(event as Event) : handler(event as Event);
      const l =
        type === 'message'
          ? (data: unknown) => call({ data })
          : (err: unknown) => call({ message: String(err) });
      listeners.set(handler, l);
      worker.on(type === 'message' ? 'message' : type, l);
    },
    removeEventListener(type: string, handler: EventListenerOrEventListenerObject) {
      const l = listeners.get(handler);
      if (l) worker.off(type === 'message' ? 'message' : type, l);
    },
    terminate: () => void worker.terminate(),
  } as WorkerLike;
}

function conv(c: number, seed: number): CompressJob {
  const next = normalSampler(seed);
  const weight = Float32Array.from({ length: c * c * 9 }, () => 0.05 * next());
  return { name: `conv${c}`, weight, shape: [c, c, 3, 3], method: 'admm', rate: 2, bits: 4 };
}

function bytesOf({ ms: _, factors, ...rest }: LayerResult) {
  return {
    ...rest,
    factors: factors.map((f) => ({ ...f, codes: f.codes && Array.from(f.codes) })),
  };
}

describe.skipIf(base.name === 'js')('the page pool with in-layer threads', () => {
  it('sends its idle worker to help a lone layer, with the one-thread bytes', async () => {
    const pool = new CompressPool(2, threadWorker, { locks: null, inLayerMinSeconds: 0 });
    try {
      const job = conv(96, 8); // big enough for split calls at the default thresholds
      const want = compressLayer(base, conv(96, 8));
      const [got] = await pool.compressLayers([job]);
      expect(pool.helpsSent).toBeGreaterThan(0);
      expect(bytesOf(got)).toEqual(bytesOf(want));
      // The helper was called back and serves again: two layers, then one.
      const two = await pool.compressLayers([conv(40, 9), conv(32, 10)]);
      expect(bytesOf(two[1])).toEqual(bytesOf(compressLayer(base, conv(32, 10))));
    } finally {
      pool.terminate();
    }
  }, 120_000);
});
