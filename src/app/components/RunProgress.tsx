import { useEffect, useState } from 'react';
import { runEta } from '../workbench/eta.ts';
import { cancelRun, retryRun } from '../workbench/runActions.ts';
import { isBusy, type RunState, useSession } from '../workbench/store.ts';
import { formatDuration } from '../workbench/sweepGrid.ts';

const PHASE_TEXT: Record<string, string> = {
  compressing: 'Factorizing layers',
  rewriting: 'Writing the compressed model',
  calibrating: 'Calibrating',
  evaluating: 'Evaluating',
  done: 'Done',
  cancelled: 'cancelled',
  failed: 'Failed',
};

function errorText(error: number): string {
  return Number.isFinite(error) ? error.toFixed(4) : '—';
}

function StallNotice() {
  return (
    <div className="stall-notice" role="alert" data-testid="run-stalled">
      <p>
        No progress for a while. The worker may be stuck, or the machine busy with something else.
        Retry starts the run again with fresh workers; your data stays loaded.
      </p>
      <div className="stall-actions">
        <button type="button" className="button button-primary" onClick={() => void retryRun()}>
          Retry
        </button>
        <button type="button" className="button" onClick={cancelRun}>
          Cancel run
        </button>
      </div>
    </div>
  );
}

/** A clock that ticks every second while `on`. */
function useNow(on: boolean): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(timer);
  }, [on]);
  return on ? Math.max(now, performance.now()) : now;
}

/** "Evaluating · about 40 s left", from the rate measured so far in this run. */
function RunEta({ run }: { run: RunState }) {
  const busy = isBusy(run);
  const now = useNow(busy);
  if (!busy || run.startedAt === undefined) return null;
  const seconds = runEta(run.startedAt, run.progress, now);
  return (
    <span className="small muted" data-testid="run-eta" aria-live="off">
      · {seconds === null ? 'measuring the time left' : `${formatDuration(seconds)} left`}
    </span>
  );
}

/** The run's overall bar, its status, and one line per layer (step and current error). */
export function RunProgress() {
  const run = useSession((s) => s.run);
  if (run.phase === 'idle') return null;
  const percent = Math.round(run.progress * 100);
  return (
    <section className="panel run-panel" aria-labelledby="run-title" data-testid="run-panel">
      <div className="panel-head">
        <h2 id="run-title">Run</h2>
        <span className={`run-status run-${run.phase}`} data-testid="run-status" aria-live="polite">
          {PHASE_TEXT[run.phase] ?? run.phase}
        </span>
      </div>
      <div className="panel-body">
        <div
          className="progress"
          role="progressbar"
          aria-label="Run progress"
          aria-valuenow={percent}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div className="progress-fill" style={{ width: `${percent}%` }} />
        </div>
        <p className="small muted run-detail-line">
          <span data-testid="run-detail">{run.detail}</span> <RunEta run={run} />
        </p>
        {run.calibration && (
          <p className="small" data-testid="run-calibration">
            {run.calibration}
          </p>
        )}
        {run.planNote && (
          <p className="small muted" data-testid="run-plan-note" title="Why more cores do not help">
            Note: {run.planNote}
          </p>
        )}
        {run.objective && (
          <p className="small" data-testid="run-objective">
            {run.objective}
          </p>
        )}
        {run.formNotes?.map((note) => (
          <p key={note} className="small" data-testid="run-form-note">
            {note}
          </p>
        ))}
        {run.calibrationWarning && (
          <p
            className="small"
            style={{ color: 'var(--warn)' }}
            data-testid="run-calibration-warning"
          >
            Warning: {run.calibrationWarning}
          </p>
        )}
        {run.check && (
          <p
            className={run.check.ok ? 'small' : 'field-error'}
            role={run.check.ok ? undefined : 'alert'}
            data-testid="run-check"
            data-verdict={run.check.ok ? 'ok' : 'failed'}
          >
            {run.check.ok ? 'Written model ' : 'Failed: the written model '}
            {run.check.text}
          </p>
        )}
        {run.message && (
          <p className="field-error" role="alert" data-testid="run-panel-message">
            {run.message}
          </p>
        )}
        {run.stalled && isBusy(run) && <StallNotice />}
        {run.layerOrder.length > 0 && (
          <ol className="layer-progress" data-testid="layer-progress">
            {run.layerOrder.map((name) => {
              const layer = run.layers[name];
              return (
                <li key={name} className={`layer-${layer.status}`}>
                  <span className="layer-name" title={name}>
                    {name}
                  </span>
                  <span className="muted small">{layer.status}</span>
                  <span className="small">step {layer.outerStep}</span>
                  <span className="small">err {errorText(layer.error)}</span>
                  <span className="mini-track">
                    <span
                      className="mini-fill"
                      style={{ width: `${Math.round(layer.progress * 100)}%` }}
                    />
                  </span>
                </li>
              );
            })}
          </ol>
        )}
      </div>
    </section>
  );
}
