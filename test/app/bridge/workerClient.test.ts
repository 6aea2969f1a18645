// The one worker lifecycle (src/app/bridge/workerClient.ts) against a fake Worker: a MessageChannel
// serving a comlink API, which can crash (error / messageerror events) or die silently, and a fake
// Web Lock manager standing in for the browser's, which frees a dead worker's lifeline lock.
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  killWorkersSilently,
  type LockManagerLike,
  WorkerClient,
  WorkerCrashError,
  type WorkerLike,
} from '../../../src/app/bridge/workerClient.ts';
import { LIFELINE_PREFIX } from '../../../workers/lifeline.ts';

type Granted = (lock: { name: string }) => unknown;

interface Waiter {
  callback: Granted;
  granted: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Exclusive Web Locks, FIFO per name, as navigator.locks grants them. */
class FakeLocks {
  private readonly queues = new Map<string, Waiter[]>();

  request(name: string, a: { signal?: AbortSignal } | Granted, b?: Granted): Promise<unknown> {
    const options = typeof a === 'function' ? {} : a;
    const callback = (typeof a === 'function' ? a : b)!;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
      const waiter: Waiter = { callback, granted: false, resolve, reject };
      const queue = this.queues.get(name) ?? [];
      this.queues.set(name, [...queue, waiter]);
      options.signal?.addEventListener('abort', () => {
        if (waiter.granted) return;
        this.queues.set(
          name,
          this.queue(name).filter((w) => w !== waiter),
        );
        reject(new DOMException('aborted', 'AbortError'));
      });
      this.grantNext(name);
    });
  }

  async query() {
    const held: { name: string }[] = [];
    const pending: { name: string }[] = [];
    for (const [name, queue] of this.queues)
      for (const w of queue) (w.granted ? held : pending).push({ name });
    return { held, pending };
  }

  queue(name: string): Waiter[] {
    return this.queues.get(name) ?? [];
  }

  private grantNext(name: string): void {
    const head = this.queue(name)[0];
    if (!head || head.granted) return;
    head.granted = true;
    const release = () => {
      this.queues.set(name, this.queue(name).slice(1));
      this.grantNext(name);
    };
    Promise.resolve()
      .then(() => head.callback({ name }))
      .then(
        (value) => {
          release();
          head.resolve(value);
        },
        (err) => {
          release();
          head.reject(err);
        },
      );
  }
}

/** A worker: a comlink API over a MessageChannel, with its lifeline lock taken on creation. */
class FakeWorker implements WorkerLike {
  terminated = false;
  private readonly events = new EventTarget();
  private readonly port: MessagePort;
  private readonly inner: MessagePort;
  private releaseLifeline = () => {};

  constructor(
    readonly name: string,
    api: object,
    locks: FakeLocks | null,
  ) {
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(api, port2 as unknown as Comlink.Endpoint);
    this.port = port1;
    this.inner = port2;
    if (locks && name.startsWith(LIFELINE_PREFIX))
      void locks.request(name, () => new Promise<void>((r) => (this.releaseLifeline = r)));
  }

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    this.port.postMessage(message, transfer as never);
  }

  addEventListener(type: string, listener: EventListenerOrEventListenerObject): void {
    if (type !== 'message') {
      this.events.addEventListener(type, listener);
      return;
    }
    this.port.addEventListener('message', listener as never);
    this.port.start();
  }

  removeEventListener(type: string, listener: EventListenerOrEventListenerObject): void {
    if (type === 'message') this.port.removeEventListener('message', listener as never);
    else this.events.removeEventListener(type, listener);
  }

  terminate(): void {
    this.terminated = true;
    this.die();
  }

  /** Ends with no event: answers stop and the browser frees the lifeline lock. */
  die(): void {
    this.port.close();
    this.inner.close();
    this.releaseLifeline();
  }

  crash(message: string): void {
    this.events.dispatchEvent(Object.assign(new Event('error'), { message }));
  }

  messageError(): void {
    this.events.dispatchEvent(new Event('messageerror'));
  }
}

/** An API whose `hang` never answers, so calls stay pending until the worker ends. */
const api = {
  echo: async (x: number) => x,
  hang: () => new Promise<number>(() => {}),
};

const clients: WorkerClient<typeof api>[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
  vi.useRealTimers();
});

function setup(options: { locks?: FakeLocks | null; idleMs?: number; label?: string } = {}) {
  const locks = options.locks ?? null;
  const made: FakeWorker[] = [];
  const client = new WorkerClient<typeof api>({
    label: options.label ?? 'evaluation',
    create: (name) => {
      const worker = new FakeWorker(name, api, locks);
      made.push(worker);
      return worker;
    },
    idleMs: options.idleMs,
    locks: locks as unknown as LockManagerLike | null,
  });
  clients.push(client);
  const crashes: string[] = [];
  client.onCrash((reason) => crashes.push(reason));
  return { client, made, crashes };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Waits (a bounded number of turns) until `ready()`; a condition, never a duration. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ready(); i++) await tick();
  expect(ready()).toBe(true);
}

/** The client has queued behind the worker's lifeline lock: a silent death is now seen. */
const watching = (locks: FakeLocks, worker: FakeWorker) => () =>
  locks.queue(worker.name).length === 2;

describe('WorkerClient', () => {
  it('starts the worker on first use, with a lifeline name, and reuses it', async () => {
    const { client, made } = setup();
    expect(made.length).toBe(0);
    expect(client.alive).toBe(false);
    expect(await client.api.echo(3)).toBe(3);
    expect(await client.api.echo(4)).toBe(4);
    expect(made.length).toBe(1);
    expect(made[0].name.startsWith(`${LIFELINE_PREFIX}evaluation/`)).toBe(true);
    expect(client.alive).toBe(true);
  });

  it('an error event fails every pending call with the worker named, tells listeners, and restarts on next use', async () => {
    const { client, made, crashes } = setup();
    const a = client.api.hang();
    const b = client.api.hang();
    await tick();
    made[0].crash('out of memory');
    for (const call of [a, b]) {
      await expect(call).rejects.toThrow('the evaluation worker stopped (out of memory)');
      await expect(call).rejects.toBeInstanceOf(WorkerCrashError);
    }
    expect(crashes).toEqual(['out of memory']);
    expect(made[0].terminated).toBe(true);
    expect(client.alive).toBe(false);
    expect(client.generation).toBe(1);
    expect(await client.api.echo(5)).toBe(5);
    expect(made.length).toBe(2);
  });

  it('a messageerror fails the pending call instead of hanging', async () => {
    const { client, made, crashes } = setup({ label: 'model' });
    const call = client.api.hang();
    await tick();
    made[0].messageError();
    await expect(call).rejects.toThrow('the model worker stopped (a message could not be read)');
    expect(crashes).toEqual(['a message could not be read']);
  });

  it('a worker that dies while idle still tells listeners: the state it held is gone', async () => {
    const { client, made, crashes } = setup();
    await client.api.echo(1);
    made[0].crash('');
    expect(crashes).toEqual(['it failed to load or crashed']);
    expect(client.generation).toBe(1);
  });

  it('terminate rejects pending calls with an AbortError and is no crash', async () => {
    const { client, made, crashes } = setup();
    const call = client.api.hang();
    client.terminate();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(made[0].terminated).toBe(true);
    expect(crashes).toEqual([]);
    expect(client.generation).toBe(1);
    client.terminate(); // nothing running: nothing changes
    expect(client.generation).toBe(1);
    expect(await client.api.echo(2)).toBe(2);
    expect(made.length).toBe(2);
  });

  it('fire-and-forget calls to a worker that ends leave no unhandled rejection', async () => {
    const { client, made } = setup();
    void client.api.hang();
    await tick();
    made[0].crash('boom');
    void client.api.hang();
    client.terminate();
    await tick(); // vitest fails the run on an unhandled rejection
  });

  it('a worker that dies silently (no event) fails its pending calls through its lifeline lock', async () => {
    const locks = new FakeLocks();
    const { client, made, crashes } = setup({ locks });
    const call = client.api.hang();
    await until(watching(locks, made[0]));
    made[0].die();
    await expect(call).rejects.toThrow(
      'the evaluation worker stopped (it ended unexpectedly, with no error reported)',
    );
    expect(crashes).toEqual(['it ended unexpectedly, with no error reported']);
    expect(client.alive).toBe(false);
    expect(await client.api.echo(7)).toBe(7);
  });

  it('killWorkersSilently ends the raw workers of one label behind their clients, who then find out', async () => {
    const locks = new FakeLocks();
    const compression = setup({ locks, label: 'compression' });
    const other = setup({ locks, label: 'model' });
    const call = compression.client.api.hang();
    await other.client.api.echo(1);
    await until(watching(locks, compression.made[0]));
    expect(killWorkersSilently('compression')).toBe(1);
    await expect(call).rejects.toThrow('the compression worker stopped (it ended unexpectedly');
    expect(other.made[0].terminated).toBe(false);
    expect(other.crashes).toEqual([]);
  });

  it('its own terminate is not read as a silent death', async () => {
    const locks = new FakeLocks();
    const { client, made, crashes } = setup({ locks });
    await client.api.echo(1);
    await until(watching(locks, made[0]));
    client.terminate();
    await until(() => locks.queue(made[0].name).length === 0);
    expect(crashes).toEqual([]);
  });

  it('without Web Locks it still works, with no silent-death detection', async () => {
    const { client, made, crashes } = setup({ locks: null });
    let settled = false;
    const done = () => {
      settled = true;
    };
    client.api.hang().then(done, done);
    await tick();
    made[0].die();
    await tick();
    expect(settled).toBe(false); // the stall watchdog is what notices this
    expect(crashes).toEqual([]);
  });
});

describe('WorkerClient idle time-to-live', () => {
  it('ends the worker after idleMs without a pending call, and starts a fresh one on next use', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, made, crashes } = setup({ idleMs: 1000 });
    await client.api.echo(1);
    vi.advanceTimersByTime(999);
    expect(client.alive).toBe(true);
    vi.advanceTimersByTime(1);
    expect(client.alive).toBe(false);
    expect(made[0].terminated).toBe(true);
    expect(crashes).toEqual([]);
    expect(await client.api.echo(2)).toBe(2);
    expect(made.length).toBe(2);
  });

  it('never ends a worker with a pending call, and each call restarts the countdown', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client } = setup({ idleMs: 1000 });
    const call = client.api.hang();
    vi.advanceTimersByTime(5000);
    expect(client.alive).toBe(true);
    client.terminate();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await client.api.echo(1);
    vi.advanceTimersByTime(600);
    await client.api.echo(2);
    vi.advanceTimersByTime(600);
    expect(client.alive).toBe(true);
  });

  it('is off unless asked for', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client } = setup();
    await client.api.echo(1);
    vi.advanceTimersByTime(3_600_000);
    expect(client.alive).toBe(true);
  });
});
