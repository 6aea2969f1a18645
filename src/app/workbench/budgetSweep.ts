// "Budget sweep" (issue #15 item 4): the solver's allocation at several BOP budgets, each run as a
// run (factorize with the layer cache, write, check, evaluate), so the allocated points form a
// curve on the trade-off charts next to the uniform sweep's. The budgets span the uniform QAF
// curve's BOPs (core/allocate/budgetSweep.ts), so the two compare at equal BOPs. Runs are
// independent: a point that fails is named at the end and the others still run.
import { create } from 'zustand';
import { allocateForBudget, budgetSweepPlan } from '../../core/allocate/index.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { formatBytes } from '../format.ts';
import { tableRunSettings } from './allocation.ts';
import { useAllocation } from './allocationStore.ts';
import { ensureDatasetsLoaded, errorMessage } from './datasetActions.ts';
import { modelKey } from './pipeline.ts';
import { cancelRun, compressAndEvaluate } from './runActions.ts';
import { overridesOf } from './sensitivityActions.ts';
import { isBusy, useSession, useWorkbench } from './store.ts';
import { arraysForSweep } from './sweepActions.ts';

export interface BudgetSweepState {
  status: 'idle' | 'running' | 'done' | 'cancelled' | 'failed';
  /** Points finished (run or failed) and in all. */
  done: number;
  total: number;
  /** performance.now() when the sweep started; for the time left. */
  startedAt: number;
  /** The budget being run now, and the span the budgets cover, in words. */
  current: string;
  span: string;
  message: string | null;
}

export const useBudgetSweep = create<BudgetSweepState>()(() => ({
  status: 'idle',
  done: 0,
  total: 0,
  startedAt: 0,
  current: '',
  span: '',
  message: null,
}));

let controller: AbortController | null = null;

/** Why a budget sweep cannot start now, in words; null when it can. */
export function budgetSweepProblem(model: ModelOverview): string | null {
  const { table, modelKey: key } = useAllocation.getState();
  if (!table || key !== modelKey(model)) return 'Measure sensitivity first: the solver needs it.';
  const settings = useWorkbench.getState().settings;
  if (settings.method !== 'admm') return 'Choose QAF first.';
  const runnable = tableRunSettings(settings, table, {});
  if (typeof runnable === 'string') return runnable;
  const session = useSession.getState();
  if (isBusy(session.run) || session.sweep.running) return 'Wait for the running step to finish.';
  return null;
}

/** Runs the solver's allocation at `count` BOP budgets, one run each. */
export async function runBudgetSweep(model: ModelOverview, count: number): Promise<void> {
  if (controller) return;
  const set = useBudgetSweep.setState;
  const problem = budgetSweepProblem(model);
  if (problem) {
    set({ status: 'failed', message: problem });
    return;
  }
  controller = new AbortController();
  const { signal } = controller;
  set({ status: 'running', done: 0, total: 0, startedAt: performance.now(), message: null });
  try {
    await ensureDatasetsLoaded();
    if (!useSession.getState().datasets.evaluation && !arraysForSweep()) {
      throw new Error(
        "Load evaluation images (or your model's input arrays) first: each allocation is plotted by what it scores.",
      );
    }
    const table = useAllocation.getState().table!;
    const base = useWorkbench.getState().settings;
    const plan = budgetSweepPlan(table, base.bits, count);
    // The size cap beside the BOP slider holds for every point too (a point it rules out fails
    // with the solver's words; the others still run).
    const cap = useAllocation.getState().sizeCap;
    const also = cap === null ? {} : { also: { kind: 'size' as const, bytes: cap } };
    const span =
      cap === null ? plan.span : `${plan.span}; stored weights within ${formatBytes(cap)}`;
    set({ total: plan.percents.length, span });
    const failed: string[] = [];
    for (const [i, percent] of plan.percents.entries()) {
      signal.throwIfAborted();
      const label = `${percent.toFixed(2)} % BOPs`;
      set({ done: i, current: `budget ${i + 1} of ${plan.percents.length}: ${label}` });
      try {
        const solved = allocateForBudget(table, { kind: 'bops', percent }, also);
        // The table's layers exactly (the user may have changed the selection since): the run's
        // BOP % is then the budget on its label.
        const settings = tableRunSettings(base, table, overridesOf(solved.choices));
        if (typeof settings === 'string') throw new Error(settings);
        await compressAndEvaluate(settings, { sweep: true, budgetPercent: percent });
      } catch (err) {
        failed.push(`${label}: ${errorMessage(err)}`);
        continue;
      }
      signal.throwIfAborted();
      const run = useSession.getState().run;
      if (run.phase === 'cancelled') throw new DOMException('cancelled', 'AbortError');
      if (run.phase === 'failed') failed.push(`${label}: ${run.message ?? 'failed'}`);
    }
    set({ done: plan.percents.length, current: '' });
    if (failed.length) {
      throw new Error(
        `${failed.length} of ${plan.percents.length} budgets failed (the others are plotted): ${failed.join('; ')}`,
      );
    }
    set({ status: 'done' });
  } catch (err) {
    set(
      signal.aborted || (err instanceof DOMException && err.name === 'AbortError')
        ? { status: 'cancelled', current: '' }
        : { status: 'failed', message: errorMessage(err), current: '' },
    );
  } finally {
    controller = null;
  }
}

/** Stops the sweep: the running point is cancelled; the finished points stay plotted. */
export function cancelBudgetSweep(): void {
  if (!controller) return;
  controller.abort();
  cancelRun();
}
