import { describe, expect, it } from 'vitest';
import { createThrottledProgress } from '../../src/core/data/progress.ts';
import type { ProgressEvent } from '../../src/core/data/types.ts';

describe('createThrottledProgress', () => {
  it('throttles to one event per 100 ms, never goes back, and always ends at 1', () => {
    let clockMs = 0;
    const events: ProgressEvent[] = [];
    const report = createThrottledProgress(
      'work',
      10,
      (e) => events.push(e),
      () => clockMs,
    );
    for (let loaded = 0; loaded <= 10; loaded++) {
      report(loaded, loaded > 5 ? 'phase 2' : undefined);
      report(loaded - 1);
      clockMs += 40;
    }
    expect(events.map((e) => e.loaded)).toEqual([0, 3, 6, 9, 10]);
    expect(events[events.length - 1]).toEqual({
      status: 'phase 2',
      loaded: 10,
      total: 10,
      progress: 1,
    });
    expect(events[1].status).toBe('work');
    // A new phase at the same count is reported once (the final 'done'); a repeat is not.
    report(10, 'done');
    report(10, 'done');
    expect(events.slice(5)).toEqual([{ status: 'done', loaded: 10, total: 10, progress: 1 }]);
  });
});
