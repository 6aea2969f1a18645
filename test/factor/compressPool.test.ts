// The worker pool in Node: workers are stood in for by MessageChannels serving the real worker
// API (or a deliberately slow fake), so scheduling, progress, transfer and cancel are real.
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { CompressPool, type WorkerLike } from '../../src/app/bridge/compressPool.ts';
import type { CompressJob, LayerProgress } from '../../src/core/factor/index.ts';
import { compressWorkerApi } from '../../workers/compress.worker.ts';
import { randomFactors } from './synthetic.ts';

const pools: CompressPool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.terminate();
});

function channelWorker(api: object, log: { created: number; terminated: number }): WorkerLike {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(api, port2 as unknown as Comlink.Endpoint);
  log.created++;
  return Object.assign(port1 as unknown as Comlink.Endpoint, {
    terminate() {
      log.terminated++;
      port1.close();
      port2.close();
    },
  });
}

function job(name: string, seed: number): CompressJob {
  const weight = randomFactors([8 * 6 * 9], 1, seed)[0];
  return { name, weight, shape: [8, 6, 3, 3], method: 'admm', rank: 4, bits: 4 };
}

describe('CompressPool', () => {
  it('compresses every layer in order, transferring weights and streaming progress', async () => {
    const log = { created: 0, terminated: 0 };
    const pool = new CompressPool(2, () => channelWorker(compressWorkerApi, log));
    pools.push(pool);
    const jobs = [job('a', 1), job('b', 2), job('c', 3)];
    const events: LayerProgress[] = [];
    const results = await pool.compressLayers(jobs, { onProgress: (p) => events.push(p) });
    expect(results.map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(results.every((r) => r.factors.length === 3 && r.factors[0].codes)).toBe(true);
    expect(jobs.every((j) => j.weight.byteLength === 0)).toBe(true); // transferred, not copied
    expect(log.created).toBe(2);
    // Let the last progress messages arrive, then check each layer's stream.
    await new Promise((r) => setTimeout(r, 20));
    for (const name of ['a', 'b', 'c']) {
      const mine = events.filter((e) => e.layer === name);
      expect(mine[0].status).toBe('queued');
      expect(mine.at(-1)).toMatchObject({ status: 'done', progress: 1 });
      for (let i = 1; i < mine.length; i++)
        expect(mine[i].progress).toBeGreaterThanOrEqual(mine[i - 1].progress);
    }
  });

  it('cancels at once with an AbortError, terminating busy workers and re-creating them lazily', async () => {
    const log = { created: 0, terminated: 0 };
    const never = { compress: () => new Promise(() => {}) };
    const pool = new CompressPool(2, () => channelWorker(never, log));
    pools.push(pool);
    const controller = new AbortController();
    const call = pool.compressLayers([job('a', 1), job('b', 2), job('c', 3)], {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 30);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(log.terminated).toBe(2);
    expect(pool.liveWorkers).toBe(0);
    // An already-aborted signal rejects without starting anything.
    await expect(
      pool.compressLayers([job('d', 4)], { signal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(log.created).toBe(2);
  });

  it('rejects the call when a layer fails', async () => {
    const log = { created: 0, terminated: 0 };
    const pool = new CompressPool(1, () => channelWorker(compressWorkerApi, log));
    pools.push(pool);
    const bad = { ...job('bad', 1), rank: 0 };
    await expect(pool.compressLayers([bad])).rejects.toThrow(/rank must be/);
  });

  it('fails the layer of a worker that dies instead of hanging', async () => {
    const log = { created: 0, terminated: 0 };
    let port: MessagePort | null = null;
    const never = { compress: () => new Promise(() => {}) };
    const pool = new CompressPool(1, () => {
      const w = channelWorker(never, log);
      port = w as unknown as MessagePort;
      return w;
    });
    pools.push(pool);
    const call = pool.compressLayers([job('a', 1)]);
    await new Promise((r) => setTimeout(r, 10));
    port!.dispatchEvent(Object.assign(new Event('error'), { message: 'boom' }));
    await expect(call).rejects.toThrow('the compression worker stopped while compressing a (boom)');
    expect(pool.liveWorkers).toBe(0);
  });

  it('answers which kernels run, and fails that question when the worker cannot start', async () => {
    const log = { created: 0, terminated: 0 };
    const good = new CompressPool(1, () => channelWorker(compressWorkerApi, log));
    pools.push(good);
    expect(await good.kernelsName()).toMatch(/^(wasm-relaxed-simd|wasm-simd|js)$/);

    let port: MessagePort | null = null;
    const silent = { kernelsName: () => new Promise(() => {}) };
    const broken = new CompressPool(1, () => {
      const w = channelWorker(silent, log);
      port = w as unknown as MessagePort;
      return w;
    });
    pools.push(broken);
    const asked = broken.kernelsName();
    await new Promise((r) => setTimeout(r, 10));
    port!.dispatchEvent(Object.assign(new Event('error'), { message: 'script failed to load' }));
    await expect(asked).rejects.toThrow('the compression worker stopped (script failed to load)');
    expect(broken.liveWorkers).toBe(0);
  });
});

describe('CompressPool scheduling (issue #14)', () => {
  it('uses a worker per core and starts a call largest layer first, results in job order', async () => {
    const { defaultPoolSize } = await import('../../src/app/bridge/compressPool.ts');
    expect(defaultPoolSize()).toBe(Math.max(1, globalThis.navigator?.hardwareConcurrency || 2));
    const log = { created: 0, terminated: 0 };
    const started: string[] = [];
    const recorder = {
      compress: (j: CompressJob) => {
        started.push(j.name);
        return compressWorkerApi.compress(j);
      },
    };
    const pool = new CompressPool(1, () => channelWorker(recorder, log));
    pools.push(pool);
    const sized = (name: string, cOut: number, seed: number): CompressJob => ({
      ...job(name, seed),
      weight: randomFactors([cOut * 6 * 9], 1, seed)[0],
      shape: [cOut, 6, 3, 3],
    });
    const jobs = [sized('small', 4, 1), sized('large', 16, 2), sized('middle', 8, 3)];
    expect(pool.planNote(jobs)).toBeNull(); // one worker: nothing to say
    const results = await pool.compressLayers(jobs);
    expect(started).toEqual(['large', 'middle', 'small']);
    expect(results.map((r) => r.name)).toEqual(['small', 'large', 'middle']);
    expect(new CompressPool(2, () => channelWorker(recorder, log)).planNote(jobs)).toMatch(
      /^large is about \d+ % of the estimated work/,
    );
  });
});
