import type { ModelOverview } from '../bridge/modelTypes.ts';
import { evaluatedImages } from '../workbench/chartData.ts';
import { isBusy, useSession, useWorkbench } from '../workbench/store.ts';
import { cancelSweep, runBaselineSweep } from '../workbench/sweepActions.ts';
import {
  estimateSweepSeconds,
  formatDuration,
  SWEEP_BIT_OPTIONS,
  SWEEP_METHOD_LABELS,
  SWEEP_RATE_OPTIONS,
  type SweepChoice,
  type SweepChoiceMethod,
  sweepPointCount,
  toggled,
} from '../workbench/sweepGrid.ts';

function setChoice(patch: Partial<SweepChoice>): void {
  useWorkbench.setState((s) => ({ sweepChoice: { ...s.sweepChoice, ...patch } }));
}

function Checks<T extends string | number>(props: {
  legend: string;
  options: readonly T[];
  chosen: readonly T[];
  label: (value: T) => string;
  disabled: boolean;
  onChange: (next: T[]) => void;
}) {
  return (
    <fieldset className="sweep-checks" disabled={props.disabled}>
      <legend>{props.legend}</legend>
      {props.options.map((value) => (
        <label key={String(value)} className="check">
          <input
            type="checkbox"
            checked={props.chosen.includes(value)}
            onChange={() => props.onChange(toggled(props.chosen, value))}
          />
          {props.label(value)}
        </label>
      ))}
    </fieldset>
  );
}

/** The grid of "Run baseline sweep": methods, rates and bits, its size and a rough time. */
export function SweepGrid({ model }: { model: ModelOverview }) {
  const choice = useWorkbench((s) => s.sweepChoice);
  const evalSettings = useWorkbench((s) => s.evalSettings);
  const evaluation = useSession((s) => s.datasets.evaluation);
  const hasCalibration = useSession((s) => s.datasets.calibration !== null);
  const running = useSession((s) => s.sweep.running);
  const points = sweepPointCount(choice, hasCalibration);
  const images = evaluatedImages(
    evaluation?.count ?? 1000,
    evalSettings.subset,
    evalSettings.limit,
  );
  const seconds = estimateSweepSeconds(choice, hasCalibration, {
    params: model.summary.params,
    macs: model.summary.macs,
    images,
    layers: model.layers.filter((l) => l.factorizable).length,
  });
  const methods = Object.keys(SWEEP_METHOD_LABELS) as SweepChoiceMethod[];
  return (
    <div className="sweep-grid" data-testid="sweep-grid">
      <Checks
        legend="Sweep methods"
        options={methods}
        chosen={choice.methods}
        label={(m) => SWEEP_METHOD_LABELS[m]}
        disabled={running}
        onChange={(next) => setChoice({ methods: next })}
      />
      <Checks
        legend="Rates"
        options={SWEEP_RATE_OPTIONS}
        chosen={choice.rates}
        label={(r) => `${r}×`}
        disabled={running}
        onChange={(next) => setChoice({ rates: next })}
      />
      <Checks
        legend="Weight bits"
        options={SWEEP_BIT_OPTIONS}
        chosen={choice.bits}
        label={(b) => `${b}`}
        disabled={running}
        onChange={(next) => setChoice({ bits: next })}
      />
      <p className="small sweep-estimate" data-testid="sweep-estimate" aria-live="polite">
        {points === 0
          ? 'Choose at least one method, rate and bit width.'
          : `${points} points${hasCalibration ? ' (calibrated twins included)' : ''} on ${images.toLocaleString('en-US')} images · ${formatDuration(seconds)} (rough; points measured before cost nothing)`}
      </p>
    </div>
  );
}

/** "Run baseline sweep" with its progress and Cancel; needs evaluation data. */
export function SweepControls() {
  const sweep = useSession((s) => s.sweep);
  const hasData = useSession((s) => s.datasets.evaluation !== null);
  const hasCalibration = useSession((s) => s.datasets.calibration !== null);
  const running = useSession((s) => isBusy(s.run));
  const points = useWorkbench((s) => sweepPointCount(s.sweepChoice, hasCalibration));
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
          {!hasData && <span className="muted small">Load evaluation data to sweep</span>}
          <button
            type="button"
            className="button"
            disabled={!hasData || running || points === 0}
            title={running ? 'Wait for the run to finish' : undefined}
            onClick={() => void runBaselineSweep()}
          >
            Run baseline sweep
          </button>
        </>
      )}
    </div>
  );
}
