// "Budget sweep" under the budget slider: how many budgets, Run / Cancel, progress with time left,
// and what happened. The allocated points land on the trade-off charts as one curve.
import { useState } from 'react';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import {
  budgetSweepProblem,
  cancelBudgetSweep,
  runBudgetSweep,
  useBudgetSweep,
} from '../workbench/budgetSweep.ts';
import { isBusy, useSession } from '../workbench/store.ts';

const COUNTS = [3, 5, 7, 9];

function timeLeft(startedAt: number, finished: number, total: number): string {
  if (finished <= 0 || finished >= total) return '';
  const ms = ((performance.now() - startedAt) / finished) * (total - finished);
  const s = Math.ceil(ms / 1000);
  return s >= 90 ? `, about ${Math.ceil(s / 60)} min left` : `, about ${s} s left`;
}

export function BudgetSweep({ model }: { model: ModelOverview }) {
  const [count, setCount] = useState(5);
  const state = useBudgetSweep();
  const runProgress = useSession((st) => (isBusy(st.run) ? st.run.progress : 0));
  const runDetail = useSession((st) => st.run.detail);
  // Subscribed so the button follows the run and the table; the words come from the check.
  useSession((st) => isBusy(st.run) || st.sweep.running);
  const running = state.status === 'running';
  const problem = running ? null : budgetSweepProblem(model);
  const finished = state.done + runProgress;
  return (
    <div className="budget-sweep" data-testid="budget-sweep">
      <div className="field-row">
        <label>
          Budget sweep{' '}
          <select
            aria-label="Budgets in the sweep"
            value={count}
            disabled={running}
            onChange={(e) => setCount(Number(e.target.value))}
          >
            {COUNTS.map((n) => (
              <option key={n} value={n}>
                {n} budgets
              </option>
            ))}
          </select>
        </label>{' '}
        {running ? (
          <button type="button" className="button" onClick={cancelBudgetSweep}>
            Cancel budget sweep
          </button>
        ) : (
          <button
            type="button"
            className="button"
            disabled={problem !== null}
            title={problem ?? undefined}
            onClick={() => void runBudgetSweep(model, count)}
          >
            Run budget sweep
          </button>
        )}
      </div>
      <p className="muted small">
        The solver's allocation at each budget, compressed and evaluated as a run; the points make
        the allocated curve on the charts, over the BOPs the uniform QAF options span.
      </p>
      {running && state.total > 0 && (
        <>
          <progress
            value={finished / state.total}
            max={1}
            aria-label="Budget sweep progress"
            className="sensitivity-progress"
          />
          <p className="muted small" data-testid="budget-sweep-status" aria-live="polite">
            {state.current} ({state.span}){timeLeft(state.startedAt, finished, state.total)}:{' '}
            {runDetail}
          </p>
        </>
      )}
      {!running && state.status !== 'idle' && (
        <p
          className={state.status === 'failed' ? 'warning small' : 'muted small'}
          data-testid="budget-sweep-status"
          role={state.status === 'failed' ? 'alert' : undefined}
        >
          {state.status === 'done'
            ? `Budget sweep done: ${state.total} allocations (${state.span}) are on the charts.`
            : state.status === 'cancelled'
              ? `Budget sweep cancelled after ${state.done} of ${state.total}; those points are kept.`
              : `Budget sweep: ${state.message}`}
        </p>
      )}
    </div>
  );
}
