// The page's handle on the budget solver worker (workers/solver.worker.ts). Slider moves come
// faster than answers: one solve is in flight at a time and only the latest waiting budget is
// sent next, so the overrides follow the slider without a queue of stale solves.

import type { SolveAnswer, SolverWorkerApi } from '../../../workers/solver.worker.ts';
import type { Budget, SensitivityTable } from '../../core/allocate/index.ts';
import type { LatencyTable } from '../../core/cost/latencyTable.ts';
import { WorkerClient } from './workerClient.ts';

const client = new WorkerClient<SolverWorkerApi>({
  label: 'solver',
  create: (name) =>
    new Worker(new URL('../../../workers/solver.worker.ts', import.meta.url), {
      type: 'module',
      name,
    }),
});

export type { SolveAnswer };

let sentTable: SensitivityTable | null = null;
let sentLatency: LatencyTable | undefined;
/** The worker the table was sent to (a restarted worker has none). */
let sentGeneration = -1;
let inFlight: Promise<void> | null = null;
let waiting: { budget: Budget; also?: Budget; resolve(a: SolveAnswer | null): void } | null = null;

/**
 * Solves `budget` (and the second limit `also`, if any) on `table`; null when a later call
 * replaced this one before it was sent (its answer would be stale).
 */
export async function solveBudget(
  table: SensitivityTable,
  budget: Budget,
  latency?: LatencyTable,
  also?: Budget,
): Promise<SolveAnswer | null> {
  if (table !== sentTable || latency !== sentLatency || client.generation !== sentGeneration) {
    // A new table goes before any budget; a budget waiting for the old one is dropped.
    waiting?.resolve(null);
    waiting = null;
    await inFlight;
    sentTable = table;
    sentLatency = latency;
    sentGeneration = client.generation;
    await client.api.setTable(table, latency);
  }
  if (inFlight) {
    waiting?.resolve(null);
    return new Promise((resolve) => {
      waiting = { budget, also, resolve };
    });
  }
  return run(budget, also);
}

async function run(budget: Budget, also?: Budget): Promise<SolveAnswer> {
  let answer!: SolveAnswer;
  inFlight = (async () => {
    try {
      answer = await client.api.solve(budget, also);
    } finally {
      inFlight = null;
    }
  })();
  try {
    await inFlight;
  } finally {
    const next = waiting;
    waiting = null;
    if (next) run(next.budget, next.also).then(next.resolve, () => next.resolve(null));
  }
  return answer;
}
