import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startStallWatchdog } from '../../../src/app/workbench/stallWatchdog.ts';

describe('startStallWatchdog', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('stalls once after the quiet period, resumes on progress, and stays quiet when stopped', () => {
    const log: string[] = [];
    const dog = startStallWatchdog(
      1000,
      () => log.push('stall'),
      () => log.push('resume'),
    );
    vi.advanceTimersByTime(900);
    dog.poke(); // progress in time: the countdown restarts
    vi.advanceTimersByTime(900);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(log).toEqual(['stall']);
    vi.advanceTimersByTime(5000);
    expect(log).toEqual(['stall']); // once, not every period
    dog.poke();
    expect(log).toEqual(['stall', 'resume']);
    dog.stop();
    vi.advanceTimersByTime(5000);
    dog.poke();
    expect(log).toEqual(['stall', 'resume']);
  });
});
