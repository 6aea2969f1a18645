// The budget solver off the page (issue #15: "runs in a worker ... so a budget slider can drive
// it live"): a 50-layer x 20-option knapsack takes up to tens of ms, which on the page would be
// a frame dropped per slider move. The table is set once per measurement; each move sends only
// its budget. A budget no allocation can meet comes back as words, not a thrown error (Comlink
// would not keep the error's class).
import './lifeline.ts'; // first: its lock is taken before the heavier modules load
import * as Comlink from 'comlink';
import {
  allocateForBudget,
  type Budget,
  type BudgetAllocation,
  BudgetError,
  type SensitivityTable,
} from '../src/core/allocate/index.ts';
import type { LatencyTable } from '../src/core/cost/latencyTable.ts';

export type SolveAnswer =
  | { ok: true; solved: Pick<BudgetAllocation, 'choices' | 'totals' | 'solver'> }
  | { ok: false; message: string };

let current: { table: SensitivityTable; latency?: LatencyTable } | null = null;

const api = {
  /** The table (and the layers' latency, for a latency budget) the next budgets are solved on. */
  setTable(table: SensitivityTable, latency?: LatencyTable): void {
    current = { table, latency };
  },

  /** `also`: a second limit of another kind (a BOP budget with a cap on the stored bytes). */
  solve(budget: Budget, also?: Budget): SolveAnswer {
    if (!current) return { ok: false, message: 'no sensitivity table: measure sensitivity first' };
    try {
      const { choices, totals, solver } = allocateForBudget(current.table, budget, {
        latency: current.latency,
        ...(also && { also }),
      });
      return { ok: true, solved: { choices, totals, solver } };
    } catch (err) {
      if (err instanceof BudgetError) return { ok: false, message: err.message };
      throw err;
    }
  },
};

export type SolverWorkerApi = typeof api;

Comlink.expose(api);
