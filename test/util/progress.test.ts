import { describe, expect, it } from 'vitest';
import {
  createThrottledProgress,
  type ProgressEvent,
  throttleProgress,
} from '../../src/core/util/progress.ts';

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

describe('throttleProgress', () => {
  it('passes status changes and the final event, drops the flood in between', () => {
    const seen: { status: string; progress: number }[] = [];
    const throttled = throttleProgress(
      (p: { status: string; progress: number }) => seen.push(p),
      1e9,
    );
    throttled({ status: 'init', progress: 0 });
    for (let i = 1; i < 100; i++) throttled({ status: 'init', progress: i / 1000 });
    throttled({ status: 'running', progress: 0.3 });
    throttled({ status: 'running', progress: 0.5 });
    throttled({ status: 'done', progress: 1 });
    expect(seen.map((p) => p.status)).toEqual(['init', 'running', 'done']);
  });

  it('lets one event through per interval on an injected clock', () => {
    let clockMs = 0;
    const seen: number[] = [];
    const throttled = throttleProgress<{ status: string; progress: number }>(
      (p) => seen.push(p.progress),
      100,
      () => clockMs,
    );
    for (let i = 0; i < 10; i++) {
      throttled({ status: 'work', progress: i / 10 });
      clockMs += 40;
    }
    expect(seen).toEqual([0, 0.3, 0.6, 0.9]);
  });
});
