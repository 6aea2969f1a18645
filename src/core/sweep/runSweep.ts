// One call evaluates a list of points, each looked up in the cache first, so a repeated point
// costs one hash and one lookup. Cancellation is checked between points: a point in flight
// finishes (onnxruntime cannot be interrupted mid-run), then the sweep stops.

import { MemorySweepCache } from './cache.ts';
import { configKey } from './configKey.ts';
import { pointConfig, pointId } from './grid.ts';
import type { RunSweepOptions, SweepRow } from './types.ts';

export async function runSweep(options: RunSweepOptions): Promise<SweepRow[]> {
  const { points, context, evaluate, signal, onProgress, onRow } = options;
  const cache = options.cache ?? new MemorySweepCache();
  const rows: SweepRow[] = [];
  const total = points.length;
  const report = (status: string, loaded: number) =>
    onProgress?.({ status, loaded, total, progress: total === 0 ? 1 : loaded / total });
  report('sweep: starting', 0);
  for (const point of points) {
    signal?.throwIfAborted();
    const key = await configKey(context, pointConfig(point));
    let measurement = await cache.get(key);
    const cached = measurement !== undefined;
    if (!measurement) {
      measurement = await evaluate(point, signal);
      await cache.set(key, measurement);
    }
    const row: SweepRow = { ...pointConfig(point), ...measurement, cached };
    rows.push(row);
    onRow?.(row);
    report(`sweep: ${pointId(point)}${cached ? ' (cached)' : ''}`, rows.length);
  }
  return rows;
}
