import type { ProgressCallback } from './types.ts';

const MIN_INTERVAL_MS = 100;

/**
 * Wraps a progress callback so it fires at most ~10 times a second, never goes backwards, and
 * always delivers the final `loaded === total` event. Returns `report(loaded, status?)`; a status
 * passed there replaces the initial one from then on (phases of one operation).
 */
export function createThrottledProgress(
  status: string,
  total: number,
  onProgress: ProgressCallback | undefined,
  now: () => number = () => performance.now(),
): (loaded: number, status?: string) => void {
  let lastTimeMs = -Infinity;
  let lastLoaded = -1;
  let current = status;
  let lastStatus = '';
  return (loaded, nextStatus) => {
    if (nextStatus !== undefined) current = nextStatus;
    // Equal `loaded` is news only when the phase changed (e.g. the final 'done').
    if (!onProgress || loaded < lastLoaded || (loaded === lastLoaded && current === lastStatus)) {
      return;
    }
    const done = loaded >= total;
    const t = now();
    if (!done && t - lastTimeMs < MIN_INTERVAL_MS) return;
    lastTimeMs = t;
    lastLoaded = loaded;
    lastStatus = current;
    const progress = total > 0 ? Math.min(1, loaded / total) : 1;
    onProgress({ status: current, loaded, total, progress });
  };
}
