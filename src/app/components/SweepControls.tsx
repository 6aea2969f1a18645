import { memo, useEffect, useState } from 'react';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { arraysSweepPoints } from '../workbench/arraysSweep.ts';
import { evaluatedImages } from '../workbench/chartData.ts';
import { type PointDone, sweepEta } from '../workbench/eta.ts';
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

/** The chosen grid's size and rough time (no point cached) on the loaded data. */
function useRoughSweep(model: ModelOverview) {
  const choice = useWorkbench((s) => s.sweepChoice);
  const evalSettings = useWorkbench((s) => s.evalSettings);
  const evaluation = useSession((s) => s.datasets.evaluation);
  const hasCalibration = useSession((s) => s.datasets.calibration !== null);
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
  return {
    choice,
    hasCalibration,
    images,
    seconds,
    points: sweepPointCount(choice, hasCalibration),
  };
}

/** The grid of "Run baseline sweep": methods, rates and bits, its size and a rough time. */
export const SweepGrid = memo(function SweepGrid({ model }: { model: ModelOverview }) {
  const { choice, hasCalibration, images, seconds, points } = useRoughSweep(model);
  const running = useSession((s) => s.sweep.running);
  const arrays = useSession((s) =>
    s.datasets.evaluation === null && s.inputArrays?.modelId === model.modelId
      ? s.inputArrays
      : null,
  );
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
          : arrays
            ? `${arraysSweepPoints(choice).length} runs on your arrays (${arrays.fileNames.join(', ')}; calibrated twins included), each compared with the original: agreement, not accuracy`
            : `${points} points${hasCalibration ? ' (calibrated twins included)' : ''} on ${images.toLocaleString('en-US')} images · ${formatDuration(seconds)} (rough; points measured before cost nothing)`}
      </p>
    </div>
  );
});

interface SweepLog {
  startMs: number;
  done: PointDone[];
}

/** When each point of the running sweep arrived, and whether it came from the cache. */
function useSweepLog(): SweepLog | null {
  const [log, setLog] = useState<SweepLog | null>(null);
  useEffect(
    () =>
      useSession.subscribe((s, prev) => {
        const { detail, progress, running } = s.sweep;
        if (running && !prev.sweep.running) setLog({ startMs: performance.now(), done: [] });
        else if (
          running &&
          progress !== prev.sweep.progress &&
          /^sweep: (?!starting)/.test(detail)
        ) {
          const point = { atMs: performance.now(), cached: detail.endsWith('(cached)') };
          setLog((l) => l && { ...l, done: [...l.done, point] });
        }
      }),
    [],
  );
  return log;
}

/** A clock that ticks every second. */
function useNow(): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** "12 of 29 points · about 6 min left": the measured rate, cached points free. */
function SweepProgressText({ model, log }: { model: ModelOverview; log: SweepLog | null }) {
  const now = useNow();
  const { points, seconds } = useRoughSweep(model);
  if (!log || points === 0) return <span className="small">starting</span>;
  const eta = sweepEta(log.startMs, log.done, points, now, seconds / points);
  return (
    <span className="small" aria-live="polite" data-testid="sweep-progress">
      {log.done.length} of {points} points ·{' '}
      {log.done.length >= points
        ? 'finishing'
        : `${formatDuration(eta.seconds)} left${eta.measured ? '' : ' (rough)'}`}
    </span>
  );
}

/** "Run baseline sweep" with its progress, time left and Cancel; needs evaluation data. */
export const SweepControls = memo(function SweepControls({ model }: { model: ModelOverview }) {
  const sweep = useSession((s) => s.sweep);
  const log = useSweepLog();
  const hasEval = useSession((s) => s.datasets.evaluation !== null);
  // Without images, the user's arrays: the grid runs point by point as runs (arraysSweep.ts).
  const onArrays = useSession(
    (s) => s.datasets.evaluation === null && s.inputArrays?.modelId === model.modelId,
  );
  const hasData = hasEval || onArrays;
  const hasCalibration = useSession((s) => s.datasets.calibration !== null);
  const running = useSession((s) => isBusy(s.run));
  const points = useWorkbench((s) =>
    onArrays
      ? arraysSweepPoints(s.sweepChoice).length
      : sweepPointCount(s.sweepChoice, hasCalibration),
  );
  return (
    <div className="sweep-controls" data-testid="sweep-controls">
      {sweep.running ? (
        <>
          {onArrays ? (
            <span className="small" aria-live="polite" data-testid="sweep-progress">
              {sweep.detail}
            </span>
          ) : (
            <SweepProgressText model={model} log={log} />
          )}
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
            title={
              running
                ? 'Wait for the run to finish'
                : onArrays
                  ? `On your arrays: ${points} runs, each compared with the original (agreement, not accuracy)`
                  : undefined
            }
            onClick={() => void runBaselineSweep()}
          >
            Run baseline sweep
          </button>
        </>
      )}
    </div>
  );
});
