// Crash handling and idle time-out of the compression pool: workers are MessageChannel stand-ins
// (as in test/factor/compressPool.test.ts) whose crash is an 'error' or 'messageerror' event.
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CompressPool, type WorkerLike } from '../../../src/app/bridge/compressPool.ts';
import type { CompressJob } from '../../../src/core/factor/index.ts';
import { compressWorkerApi } from '../../../workers/compress.worker.ts';

const pools: CompressPool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.terminate();
  vi.useRealTimers();
});

interface FakeWorker {
  port: MessagePort;
  terminated: boolean;
}

/** A pool whose first `crashing` workers never answer; later ones run the real worker API. */
function poolWithWorkers(size: number, crashing: number, idleMs?: number) {
  const made: FakeWorker[] = [];
  const never = { compress: () => new Promise(() => {}) };
  const pool = new CompressPool(
    size,
    () => {
      const { port1, port2 } = new MessageChannel();
      Comlink.expose(made.length < crashing ? never : compressWorkerApi, port2 as never);
      const fake: FakeWorker = { port: port1, terminated: false };
      made.push(fake);
      return Object.assign(port1 as unknown as Comlink.Endpoint, {
        terminate() {
          fake.terminated = true;
          port1.close();
          port2.close();
        },
      }) satisfies WorkerLike;
    },
    { idleMs },
  );
  pools.push(pool);
  return { pool, made };
}

function job(name: string): CompressJob {
  const weight = Float32Array.from({ length: 8 * 6 * 9 }, (_, i) => Math.sin(i * 0.37));
  return { name, weight, shape: [8, 6, 3, 3], method: 'admm', rank: 4, bits: 4 };
}

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

describe('CompressPool crashes', () => {
  it('an error event fails the call with the layer named, and the next call gets a fresh worker', async () => {
    const { pool, made } = poolWithWorkers(1, 1);
    const call = pool.compressLayers([job('conv1'), job('conv2')]);
    await tick();
    made[0].port.dispatchEvent(Object.assign(new Event('error'), { message: 'out of memory' }));
    await expect(call).rejects.toThrow(
      'the compression worker stopped while compressing conv1 (out of memory). Run again',
    );
    expect(made[0].terminated).toBe(true);
    expect(pool.liveWorkers).toBe(0); // conv2 was dropped with its call, not started
    const [result] = await pool.compressLayers([job('conv3')]);
    expect(result.name).toBe('conv3');
    expect(made.length).toBe(2);
  });

  it('a messageerror fails the call instead of hanging', async () => {
    const { pool, made } = poolWithWorkers(1, 1);
    const call = pool.compressLayers([job('fc')]);
    await tick();
    made[0].port.dispatchEvent(new Event('messageerror'));
    await expect(call).rejects.toThrow(
      'stopped while compressing fc (a message could not be read)',
    );
  });

  it('a crash ends the sibling layers of the same call on the other workers', async () => {
    const { pool, made } = poolWithWorkers(2, 2);
    const call = pool.compressLayers([job('a'), job('b'), job('c')]);
    await tick();
    made[1].port.dispatchEvent(Object.assign(new Event('error'), { message: 'boom' }));
    await expect(call).rejects.toThrow('while compressing b (boom)');
    expect(made.every((w) => w.terminated)).toBe(true);
    expect(pool.liveWorkers).toBe(0);
  });
});

describe('CompressPool idle workers', () => {
  it('end after idleMs without a layer, and a fresh one serves the next call', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { pool, made } = poolWithWorkers(1, 0, 1000);
    await pool.compressLayers([job('a')]);
    expect(pool.liveWorkers).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(pool.liveWorkers).toBe(0);
    expect(made[0].terminated).toBe(true);
    const [result] = await pool.compressLayers([job('b')]);
    expect(result.name).toBe('b');
    expect(made.length).toBe(2);
  });
});
