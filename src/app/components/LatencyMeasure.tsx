// The latency budget's first step: time the table's layers alone in this browser (progress,
// Cancel), or say the kept measurement is used; the slider then spends milliseconds.
import type { SensitivityTable } from '../../core/allocate/index.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { useAllocation } from '../workbench/allocationStore.ts';
import { cancelLatency, measureLayerLatency, useLatency } from '../workbench/latencyActions.ts';
import { isBusy, useSession } from '../workbench/store.ts';

export function LatencyMeasure({
  model,
  table,
  ready,
}: {
  model: ModelOverview;
  table: SensitivityTable;
  ready: boolean;
}) {
  const state = useLatency();
  const measuring = useAllocation((st) => st.status === 'running');
  const busy = useSession((st) => isBusy(st.run) || st.sweep.running) || measuring;
  const running = state.status === 'running';
  return (
    <div className="latency-measure" data-testid="latency-measure">
      {running ? (
        <button type="button" className="button" onClick={cancelLatency}>
          Cancel timing
        </button>
      ) : (
        !ready && (
          <button
            type="button"
            className="button"
            disabled={busy}
            title={busy ? 'Wait for the running step to finish' : undefined}
            onClick={() => void measureLayerLatency(model, table)}
          >
            Measure latency
          </button>
        )
      )}
      <p className="muted small" data-testid="latency-status" aria-live="polite">
        {running
          ? `Timing layers alone in this browser: ${Math.round(100 * state.progress)} % (${state.detail})`
          : state.status === 'failed'
            ? `Not timed: ${state.message}`
            : state.status === 'cancelled'
              ? 'Cancelled; nothing was kept.'
              : ready
                ? `Timed: ${state.detail}.`
                : 'A latency budget needs each layer timed alone in this browser, in every form its options give it (a few seconds per layer).'}
      </p>
      {running && <progress value={state.progress} max={1} aria-label="Latency timing progress" />}
    </div>
  );
}
