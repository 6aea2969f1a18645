// One progress shape for every long operation and one throttle for all of them (style.md, habit 5:
// about ten reports a second, ending at 100 %). Lives at the bottom of the core so that data,
// factor, eval and the workers can all report progress without importing each other.

/** One progress shape for every long operation; `progress` is loaded / total in [0, 1]. */
export interface ProgressEvent {
  status: string;
  loaded: number;
  total: number;
  progress: number;
}

export type ProgressCallback = (event: ProgressEvent) => void;

/** Progress messages at most this often (plus every status change and the final one). */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Lets through at most one event per `intervalMs`, but never drops a status change or the final
 * event (`progress >= 1`). Works for any event with a status and a 0..1 progress, so per-layer
 * streams (LayerProgress) share it with ProgressEvent.
 */
export function throttleProgress<E extends { status: string; progress: number }>(
  sink: (event: E) => void,
  intervalMs = PROGRESS_INTERVAL_MS,
  now: () => number = () => performance.now(),
): (event: E) => void {
  let lastMs = Number.NEGATIVE_INFINITY;
  let lastStatus: string | undefined;
  return (event) => {
    const t = now();
    if (event.status === lastStatus && event.progress < 1 && t - lastMs < intervalMs) return;
    lastMs = t;
    lastStatus = event.status;
    sink(event);
  };
}

/**
 * A `report(loaded, status?)` for an operation of `total` steps, throttled as above, that never
 * goes backwards, drops exact repeats, and always delivers the final `loaded === total` event. A
 * status passed to `report` replaces the initial one from then on (phases of one operation).
 */
export function createThrottledProgress(
  status: string,
  total: number,
  onProgress: ProgressCallback | undefined,
  now: () => number = () => performance.now(),
): (loaded: number, status?: string) => void {
  if (!onProgress) return () => {};
  let lastLoaded = -1;
  let lastStatus = '';
  let current = status;
  const send = throttleProgress<ProgressEvent>(
    (event) => {
      lastLoaded = event.loaded;
      lastStatus = event.status;
      onProgress(event);
    },
    PROGRESS_INTERVAL_MS,
    now,
  );
  return (loaded, nextStatus) => {
    if (nextStatus !== undefined) current = nextStatus;
    // Equal `loaded` is news only when the phase changed (e.g. the final 'done').
    if (loaded < lastLoaded || (loaded === lastLoaded && current === lastStatus)) return;
    const progress = total > 0 ? Math.min(1, loaded / total) : 1;
    send({ status: current, loaded, total, progress });
  };
}
