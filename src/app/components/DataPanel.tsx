import { useRef } from 'react';
import { APP_CALIBRATION_IMAGES } from '../../core/calibrate/defaults.ts';
import { defaultPreprocessSpec } from '../../core/data/preprocess.ts';
import { calibrationSplitSizes, QUICK_SUBSET_SIZE } from '../../core/data/subset.ts';
import type { PreprocessSpec } from '../../core/data/types.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { formatCount } from '../format.ts';
import { loadDatasetFile, unloadDataset } from '../workbench/datasetActions.ts';
import {
  type DatasetRole,
  updateEvalSettings,
  useSession,
  useWorkbench,
} from '../workbench/store.ts';
import { InputArraysSlot } from './InputArraysSlot.tsx';
import { PreprocessForm } from './PreprocessForm.tsx';

const ROLE_TEXT: Record<DatasetRole, { title: string; hint: string }> = {
  evaluation: {
    title: 'Evaluation set',
    hint: 'Accuracy, agreement and KL are measured on these images.',
  },
  calibration: {
    title: 'Calibration set (optional)',
    hint: 'Used only for activation scales and calibration after compression — kept apart from the evaluation set.',
  },
};

function DatasetSlot({ slot: role }: { slot: DatasetRole }) {
  const input = useRef<HTMLInputElement>(null);
  const summary = useSession((s) => s.datasets[role]);
  const load = useSession((s) => s.datasetLoads[role]);
  const error = useSession((s) => s.datasetErrors[role]);
  const text = ROLE_TEXT[role];
  const label = role === 'evaluation' ? 'Load evaluation data' : 'Load calibration data';
  return (
    <div className="dataset-slot" data-testid={`dataset-${role}`}>
      <div className="dataset-head">
        <h3>{text.title}</h3>
        <button type="button" className="button" onClick={() => input.current?.click()}>
          {label}
        </button>
        {summary && (
          <button type="button" className="button-link" onClick={() => unloadDataset(role)}>
            Remove
          </button>
        )}
      </div>
      <p className="muted small">{text.hint}</p>
      <input
        ref={input}
        type="file"
        accept=".bin,.zip,.npy"
        aria-label={label}
        hidden
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          event.currentTarget.value = '';
          if (file) void loadDatasetFile(role, file);
        }}
      />
      {load && (
        <div className="progress" role="progressbar" aria-label={`Loading ${load.fileName}`}>
          <div
            className="progress-fill"
            style={{ width: `${Math.round((load.progress ?? 0) * 100)}%` }}
          />
        </div>
      )}
      {load && <p className="small muted">{`${load.status} ${load.fileName}…`}</p>}
      {error && <p className="field-error">{error}</p>}
      {summary && (
        <p className="dataset-facts" data-testid={`dataset-${role}-summary`}>
          <strong>{summary.fileName}</strong> · {formatCount(summary.count)} images ·{' '}
          {summary.width}×{summary.height}×{summary.channels} ·{' '}
          {summary.classNames
            ? `${summary.classNames.length} classes`
            : summary.labelled
              ? 'labelled'
              : 'no labels'}
        </p>
      )}
    </div>
  );
}

function guessedSpec(model: ModelOverview, width?: number, height?: number): PreprocessSpec | null {
  const shape = model.summary.inputs[0]?.shape;
  if (!shape) return null;
  try {
    return defaultPreprocessSpec(
      shape,
      width && height ? { width, height, pixelType: 'uint8' } : undefined,
    );
  } catch {
    return null;
  }
}

/** Images of the evaluation set a run evaluates, by the chosen subset. */
function evaluatedCount(count: number, e: { subset: 'quick' | 'full'; limit: number | null }) {
  if (e.limit && e.limit < count) return e.limit;
  return e.subset === 'quick' ? Math.min(QUICK_SUBSET_SIZE, count) : count;
}

/**
 * Without a separate set, calibration takes a part of the evaluation set, which the run then
 * does not evaluate: said here before the run (the run panel and the report say it after).
 */
function CalibrationSourceNote() {
  const datasets = useSession((s) => s.datasets);
  const settings = useWorkbench((s) => s.settings);
  const evalSettings = useWorkbench((s) => s.evalSettings);
  const evaluation = datasets.evaluation;
  if (datasets.calibration || !evaluation) return null;
  if (!settings.calibrate && settings.actBits === 32) {
    return (
      <p className="muted small" data-testid="calibration-source">
        Calibration is off (Compression panel): all evaluation images are evaluated.
      </p>
    );
  }
  const evaluated = evaluatedCount(evaluation.count, evalSettings);
  const split = calibrationSplitSizes(evaluation.count, evaluated, APP_CALIBRATION_IMAGES);
  const n = (x: number) => formatCount(x);
  const text =
    split.calibration === 0
      ? `Too few evaluation images to set some aside: runs are not calibrated.`
      : split.fromEvaluated
        ? `No calibration set: ${n(split.calibration)} of the ${n(evaluated)} evaluation images (class-balanced) calibrate each run, and the other ${n(split.evaluation)} are evaluated.`
        : `No calibration set: ${n(split.calibration)} other images of ${evaluation.fileName} (class-balanced) calibrate each run; the ${n(evaluated)} evaluated stay as they are.`;
  return (
    <p className="small" data-testid="calibration-source">
      {text} Load a separate set to keep them apart, or switch calibration off in the Compression
      panel.
    </p>
  );
}

/** Evaluation and calibration data, the subset size and the preprocessing. */
export function DataPanel({ model }: { model: ModelOverview }) {
  const evaluation = useSession((s) => s.datasets.evaluation);
  const evalSettings = useWorkbench((s) => s.evalSettings);
  const spec = evalSettings.spec ?? guessedSpec(model, evaluation?.width, evaluation?.height);
  return (
    <section className="panel data-panel" aria-labelledby="data-title">
      <div className="panel-head">
        <h2 id="data-title">Data</h2>
        <span className="muted small">
          .bin (CIFAR-10) · .zip of class folders · .npy · arrays: .npy / .npz per input
        </span>
      </div>
      <div className="panel-body">
        <DatasetSlot slot="evaluation" />
        <div className="field-row">
          <span className="field-label">Images</span>
          <fieldset className="segmented" aria-label="Evaluation subset">
            {(
              [
                ['quick', null, 'Quick (1,000)'],
                ['quick', 500, '500'],
                ['quick', 200, '200'],
                ['full', null, 'Full'],
              ] as const
            ).map(([subset, limit, text]) => (
              <button
                key={text}
                type="button"
                aria-pressed={evalSettings.subset === subset && evalSettings.limit === limit}
                onClick={() => updateEvalSettings({ subset, limit })}
              >
                {text}
              </button>
            ))}
          </fieldset>
        </div>
        <p className="muted small">Subsets are stratified: every class equally represented.</p>
        <DatasetSlot slot="calibration" />
        <CalibrationSourceNote />
        <InputArraysSlot model={model} />
        {spec && (
          <PreprocessForm
            key={JSON.stringify(spec)}
            spec={spec}
            custom={evalSettings.spec !== null}
          />
        )}
      </div>
    </section>
  );
}
