// Time left in a sweep from the rate measured so far: each fresh point's time, cached points
// counting as free. Before the first fresh point finishes, the rough grid estimate stands in.

export interface PointDone {
  /** When the point's row arrived (ms, any monotonic clock). */
  atMs: number;
  cached: boolean;
}

export interface Eta {
  seconds: number;
  /** From this sweep's own points, not the rough estimate. */
  measured: boolean;
}

export function sweepEta(
  startMs: number,
  done: readonly PointDone[],
  total: number,
  nowMs: number,
  roughSecondsPerPoint: number,
): Eta {
  const fresh: number[] = [];
  let previous = startMs;
  for (const point of done) {
    if (!point.cached) fresh.push(point.atMs - previous);
    previous = point.atMs;
  }
  const perPointMs =
    fresh.length > 0
      ? fresh.reduce((a, b) => a + b, 0) / fresh.length
      : roughSecondsPerPoint * 1000;
  const remaining = Math.max(0, total - done.length);
  // The point in flight has been running since the last row came.
  const inFlightMs = remaining > 0 ? Math.min(nowMs - previous, perPointMs) : 0;
  return {
    seconds: Math.max(0, (remaining * perPointMs - inFlightMs) / 1000),
    measured: fresh.length > 0,
  };
}

/**
 * Time left in a run from its measured rate: the progress made since it started, extrapolated.
 * Null until there is something to measure (2 s and 3 % in): an early guess would mislead.
 * Layers reused from the cache jump the progress at no cost, so like the sweep's cached points
 * they count as free.
 */
export function runEta(startMs: number, progress: number, nowMs: number): number | null {
  const elapsedMs = nowMs - startMs;
  if (elapsedMs < 2000 || progress < 0.03) return null;
  if (progress >= 1) return 0;
  return (elapsedMs * (1 - progress)) / progress / 1000;
}
