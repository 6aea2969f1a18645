// One lifecycle for every worker the page talks to (evaluation, model, compression). The worker
// starts on first use behind Comlink and ends by a crash (`error`, `messageerror`), a silent death
// (the Web Lock lifeline of workers/lifeline.ts), a cancel (terminate: a WASM loop cannot be
// interrupted) or an optional idle time-to-live; the next call starts a fresh one. A worker that
// ends takes its pending calls with it: they reject at once, since their answers can never come.
import * as Comlink from 'comlink';
import { LIFELINE_PREFIX } from '../../../workers/lifeline.ts';

/** What the client needs of a worker: a comlink endpoint it can terminate. */
export type WorkerLike = Comlink.Endpoint & { terminate(): void };

export type LockManagerLike = Pick<LockManager, 'request' | 'query'>;

export interface WorkerClientOptions {
  /** Names the worker in messages: 'evaluation' gives "the evaluation worker stopped (...)". */
  label: string;
  /** Starts a worker. `name` must reach it as `self.name` (the Worker `name` option): its lifeline. */
  create(name: string): WorkerLike;
  /** Ends the worker after this long without a pending call. Only for workers that hold no state. */
  idleMs?: number;
  /** For silent-death detection; navigator.locks by default, null for none (the stall watchdog remains). */
  locks?: LockManagerLike | null;
}

/** A call failed because its worker died; `reason` says how, for messages of the caller's own. */
export class WorkerCrashError extends Error {
  constructor(
    readonly label: string,
    readonly reason: string,
  ) {
    super(`the ${label} worker stopped (${reason})`);
    this.name = 'WorkerCrashError';
  }
}

export const SILENT_DEATH_REASON = 'it ended unexpectedly, with no error reported';

/** Between looks for the worker's lock; its first look is at once. */
const LIFELINE_POLL_MS = 100;
/** A worker not holding its lock after this many looks never will (no Web Locks in workers). */
const LIFELINE_MAX_POLLS = 300;

interface Running<T> {
  worker: WorkerLike;
  remote: Comlink.Remote<T>;
  /** Aborted when this worker ends: withdraws its lifeline watch. */
  ended: AbortController;
}

interface PendingCall {
  promise: Promise<unknown>;
  reject(error: unknown): void;
}

/** Raw workers alive now, with their labels, for the e2e hook that kills them silently. */
const runningWorkers = new Map<WorkerLike, string>();

export class WorkerClient<T> {
  /**
   * The worker's API (methods only). Every call starts the worker if none runs and is tracked
   * until it settles; holding this object across restarts is fine.
   */
  readonly api: Comlink.Remote<T>;
  private current: Running<T> | null = null;
  private readonly pending = new Set<PendingCall>();
  private readonly listeners = new Set<(reason: string) => void>();
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private ends = 0;

  constructor(private readonly options: WorkerClientOptions) {
    this.api = new Proxy({} as Comlink.Remote<T>, {
      // 'then' stays undefined so the api object is not mistaken for a promise.
      get: (_, method) =>
        typeof method === 'string' && method !== 'then'
          ? (...args: unknown[]) => this.call(method, args)
          : undefined,
    });
  }

  /** Changes whenever a worker ends, so state kept in the worker (datasets, models) can be known lost. */
  get generation(): number {
    return this.ends;
  }

  get alive(): boolean {
    return this.current !== null;
  }

  /** Ends the worker now (a cancel); its pending calls reject with an AbortError. */
  terminate(): void {
    const { label } = this.options;
    this.end(this.current, () => new DOMException(`the ${label} worker was stopped`, 'AbortError'));
  }

  /** `listener(reason)` runs when a worker dies, after its pending calls were failed; not on terminate or idle. */
  onCrash(listener: (reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private call(method: string, args: unknown[]): Promise<unknown> {
    let run: Running<T>;
    try {
      run = this.running();
    } catch (err) {
      return Promise.reject(err);
    }
    this.clearIdle();
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: PendingCall = { promise, reject };
    this.pending.add(entry);
    const settled = () => {
      if (this.pending.delete(entry)) this.armIdle();
    };
    try {
      const remote = run.remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      remote[method](...args).then(
        (value) => {
          settled();
          resolve(value);
        },
        (err) => {
          settled();
          reject(err);
        },
      );
    } catch (err) {
      settled();
      reject(err);
    }
    return promise;
  }

  private running(): Running<T> {
    if (this.current) return this.current;
    const name = `${LIFELINE_PREFIX}${this.options.label}/${crypto.randomUUID()}`;
    const worker = this.options.create(name);
    const run: Running<T> = {
      worker,
      remote: Comlink.wrap<T>(worker),
      ended: new AbortController(),
    };
    this.current = run;
    runningWorkers.set(worker, this.options.label);
    worker.addEventListener('error', (event) =>
      this.crash(run, (event as ErrorEvent).message || 'it failed to load or crashed'),
    );
    worker.addEventListener('messageerror', () => this.crash(run, 'a message could not be read'));
    const locks = this.options.locks === undefined ? browserLocks() : this.options.locks;
    if (locks) {
      const died = () => this.crash(run, SILENT_DEATH_REASON);
      watchLifeline(locks, name, run.ended.signal, died).catch(() => {});
    }
    return run;
  }

  private crash(run: Running<T>, reason: string): void {
    if (run !== this.current) return;
    const { label } = this.options;
    this.end(run, () => new WorkerCrashError(label, reason));
    for (const listener of [...this.listeners]) listener(reason);
  }

  private end(run: Running<T> | null, failure: () => unknown): void {
    if (!run || run !== this.current) return;
    this.current = null;
    this.ends++;
    this.clearIdle();
    run.ended.abort();
    runningWorkers.delete(run.worker);
    run.worker.terminate();
    const calls = [...this.pending];
    this.pending.clear();
    for (const call of calls) {
      // Fire-and-forget calls (`void api.close(id)`) must not turn a known end into an
      // "uncaught (in promise)" report; callers that wait still get the rejection.
      call.promise.catch(() => {});
      call.reject(failure());
    }
  }

  private armIdle(): void {
    const { idleMs } = this.options;
    if (idleMs === undefined || !Number.isFinite(idleMs) || this.pending.size > 0) return;
    if (!this.current) return;
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pending.size === 0) this.end(this.current, () => null);
    }, idleMs);
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

function browserLocks(): LockManagerLike | null {
  return (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks ?? null;
}

/**
 * Waits until the worker's own request for its lock is known to the lock manager (asking before
 * that would be granted at once and read as a death), then queues behind it: the grant comes
 * only when the browser releases the lock of a worker that no longer exists, busy or not.
 */
async function watchLifeline(
  locks: LockManagerLike,
  name: string,
  ended: AbortSignal,
  died: () => void,
): Promise<void> {
  for (let look = 0; look < LIFELINE_MAX_POLLS && !ended.aborted; look++) {
    const { held = [], pending = [] } = await locks.query();
    if (ended.aborted) return;
    if ([...held, ...pending].some((lock) => lock.name === name)) {
      await locks.request(name, { signal: ended }, () => {
        if (!ended.aborted) died();
      });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, LIFELINE_POLL_MS));
  }
}

/**
 * For the e2e tests (src/app/workbench/testHooks.ts): terminates the live workers of this label
 * behind their clients' backs, as a browser does to a worker it kills; returns how many.
 */
export function killWorkersSilently(label: string): number {
  let killed = 0;
  for (const [worker, workerLabel] of runningWorkers) {
    if (workerLabel !== label) continue;
    worker.terminate();
    killed++;
  }
  return killed;
}
