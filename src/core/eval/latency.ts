// Single-input latency of a model and its reference, measured back to back in one process.
import type * as ort from 'onnxruntime-web/wasm';
import { percentile } from './metrics.ts';
import { runScores } from './session.ts';

export interface LatencyStats {
  median: number;
  p90: number;
  runs: number;
}

export interface LatencyOptions {
  runs: number;
  warmupRuns: number;
  signal?: AbortSignal;
  /** Called after each timed run with the number of timed runs done so far. */
  onRun?: (done: number) => void;
  /**
   * The clock, in ms (default performance.now: wall time). On a shared machine a one-thread
   * runtime is timed more steadily by the process's CPU time (Node: process.cpuUsage), which
   * preemption does not inflate; the shells choose, the core stays free of Node.
   */
  clock?: () => number;
}

export function latencyStats(timesMs: ArrayLike<number>): LatencyStats {
  return { median: percentile(timesMs, 50), p90: percentile(timesMs, 90), runs: timesMs.length };
}

async function timeRunMs(
  session: ort.InferenceSession,
  input: Float32Array,
  dims: number[],
  clock: () => number,
) {
  const start = clock();
  await runScores(session, input, dims);
  return clock() - start;
}

/**
 * Times `runs` inferences of each session on the same input. The two models alternate, and which
 * goes first alternates too, so drift (thermal, GC, other load) hits both alike.
 */
export async function measureLatency(
  sessions: readonly ort.InferenceSession[],
  input: Float32Array,
  dims: number[],
  options: LatencyOptions,
): Promise<LatencyStats[]> {
  for (let w = 0; w < options.warmupRuns; w++) {
    for (const s of sessions) await runScores(s, input, dims);
  }
  const times = sessions.map(() => new Float64Array(options.runs));
  const clock = options.clock ?? (() => performance.now());
  for (let r = 0; r < options.runs; r++) {
    options.signal?.throwIfAborted();
    const order =
      r % 2 === 0 ? sessions.map((_, i) => i) : sessions.map((_, i) => sessions.length - 1 - i);
    for (const i of order) times[i][r] = await timeRunMs(sessions[i], input, dims, clock);
    options.onRun?.(r + 1);
  }
  return times.map(latencyStats);
}
