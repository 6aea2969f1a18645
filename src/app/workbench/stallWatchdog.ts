// A run whose worker stops reporting (stuck, or starved by something else on the machine) would
// otherwise spin forever. The watchdog calls onStall once after `stallMs` without a poke, and
// onResume when progress comes back; the run panel then offers Retry / Cancel. A worker that
// dies, even silently, fails its calls at once (src/app/bridge/workerClient.ts and its Web Lock
// lifeline); this watchdog is for the living that do not answer, and for browsers without Web Locks.

/** No progress for this long counts as stalled (layers report about ten times a second). */
export const DEFAULT_STALL_MS = 60_000;

export interface StallWatchdog {
  /** Progress happened: restart the countdown (and report a resume if it had stalled). */
  poke(): void;
  stop(): void;
}

export interface WatchdogTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export function startStallWatchdog(
  stallMs: number,
  onStall: () => void,
  onResume: () => void,
  timers: WatchdogTimers = {
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as number),
  },
): StallWatchdog {
  let stalled = false;
  let stopped = false;
  let handle: unknown = null;
  const arm = () => {
    if (handle !== null) timers.clearTimeout(handle);
    handle = timers.setTimeout(() => {
      handle = null;
      if (stopped || stalled) return;
      stalled = true;
      onStall();
    }, stallMs);
  };
  arm();
  return {
    poke() {
      if (stopped) return;
      if (stalled) {
        stalled = false;
        onResume();
      }
      arm();
    },
    stop() {
      stopped = true;
      if (handle !== null) timers.clearTimeout(handle);
      handle = null;
    },
  };
}

/** The threshold: 60 s, or `?testHooks&stallMs=N` for the e2e tests. */
export function stallMsFromLocation(): number {
  if (typeof location === 'undefined') return DEFAULT_STALL_MS;
  const params = new URLSearchParams(location.search);
  const asked = Number(params.get('stallMs'));
  return params.has('testHooks') && asked > 0 ? asked : DEFAULT_STALL_MS;
}
