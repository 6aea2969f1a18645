import { isBusy, useSession } from '../workbench/store.ts';
import {
  cancelSweep,
  runBaselineSweep,
  SWEEP_BITS,
  SWEEP_RATES,
} from '../workbench/sweepActions.ts';

/** "Run baseline sweep" with its progress and Cancel; needs evaluation data. */
export function SweepControls() {
  const sweep = useSession((s) => s.sweep);
  const hasData = useSession((s) => s.datasets.evaluation !== null);
  const running = useSession((s) => isBusy(s.run));
  const title = `FTQ, PTQ and QAF at rates ${SWEEP_RATES.join(', ')} × ${SWEEP_BITS.join(', ')} bits; cached points cost nothing`;
  return (
    <div className="sweep-controls" data-testid="sweep-controls">
      {sweep.running ? (
        <>
          <span className="small" aria-live="polite">
            {sweep.detail} ({Math.round(sweep.progress * 100)} %)
          </span>
          <button type="button" className="button" onClick={cancelSweep}>
            Cancel sweep
          </button>
        </>
      ) : (
        <>
          {sweep.status === 'failed' && <span className="field-error">{sweep.message}</span>}
          {sweep.status === 'cancelled' && <span className="muted small">sweep cancelled</span>}
          <button
            type="button"
            className="button"
            disabled={!hasData || running}
            title={hasData ? title : 'Load evaluation data first'}
            onClick={() => void runBaselineSweep()}
          >
            Run baseline sweep
          </button>
        </>
      )}
    </div>
  );
}
