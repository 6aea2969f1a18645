import type { ModelOverview } from '../bridge/modelTypes.ts';
import { useAppStore } from '../store.ts';
import { cancelRun, compressAndEvaluate } from '../workbench/runActions.ts';
import {
  type CompressSettings,
  isFactorizingMethod,
  isQuantizingMethod,
  METHOD_LABELS,
  PUBLISHED_RATES,
  type UiMethod,
} from '../workbench/settings.ts';
import { isBusy, updateSettings, useSession, useWorkbench } from '../workbench/store.ts';
import { Choice } from './Choice.tsx';
import { CostPreview } from './CostPreview.tsx';
import { OutputFormControls } from './OutputFormControls.tsx';

function SizeControl({ s }: { s: CompressSettings }) {
  if (!isFactorizingMethod(s.method)) return null;
  return (
    <>
      <Choice
        label="Size by"
        value={s.sizeBy}
        options={[
          ['rate', 'Rate'],
          ['rank', 'Rank'],
        ]}
        onChange={(sizeBy) => updateSettings({ sizeBy })}
      />
      {s.sizeBy === 'rate' ? (
        <label className="slider">
          <span className="field-label">Rate</span>
          <input
            type="range"
            min={1.2}
            max={4}
            step={0.1}
            list="published-rates"
            value={s.rate}
            aria-label="Rate"
            onChange={(e) => updateSettings({ rate: Number(e.target.value) })}
          />
          <output>{s.rate.toFixed(1)}×</output>
          <datalist id="published-rates">
            {PUBLISHED_RATES.map((r) => (
              <option key={r} value={r} label={String(r)} />
            ))}
          </datalist>
        </label>
      ) : (
        <label className="slider">
          <span className="field-label">Rank</span>
          <input
            type="number"
            min={1}
            value={s.rank}
            aria-label="Rank"
            onChange={(e) =>
              updateSettings({ rank: Math.max(1, Math.round(Number(e.target.value))) })
            }
          />
          <span className="muted small">every selected layer</span>
        </label>
      )}
      {s.sizeBy === 'rate' && (
        <p className="muted small published">
          Published rates:{' '}
          {PUBLISHED_RATES.map((r) => (
            <button
              key={r}
              type="button"
              className="chip"
              aria-pressed={s.rate === r}
              onClick={() => updateSettings({ rate: r })}
            >
              {r}
            </button>
          ))}
        </p>
      )}
    </>
  );
}

/** Method, size, bits and the run button; costs update while anything moves. */
export function CompressPanel({ model }: { model: ModelOverview }) {
  const s = useWorkbench((st) => st.settings);
  const run = useSession((st) => st.run);
  const hasCalibration = useSession((st) => st.datasets.calibration !== null);
  const hasEval = useSession((st) => st.datasets.evaluation !== null);
  // The user's arrays for this model's inputs calibrate when there are no images.
  const hasArrays = useSession((st) => st.inputArrays?.modelId === model.modelId);
  // One heavy job at a time: the sweep and a run share the evaluation worker.
  const sweeping = useSession((st) => st.sweep.running);
  const busy = isBusy(run);
  // The model is being read again (new input shapes): a run now would take the old shapes.
  const reshaping = useAppStore((st) => st.loading !== null);
  return (
    <section className="panel compress-panel" aria-labelledby="compress-title">
      <div className="panel-head">
        <h2 id="compress-title">Compression</h2>
      </div>
      <div className="panel-body">
        <label className="field-row">
          <span className="field-label">Method</span>
          <select
            value={s.method}
            aria-label="Method"
            onChange={(e) => updateSettings({ method: e.target.value as UiMethod })}
          >
            {Object.entries(METHOD_LABELS).map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </label>
        <SizeControl s={s} />
        {isQuantizingMethod(s.method) && (
          <label className="slider">
            <span className="field-label">Weight bits</span>
            <input
              type="range"
              min={2}
              max={8}
              step={1}
              value={s.bits}
              aria-label="Weight bits"
              onChange={(e) => updateSettings({ bits: Number(e.target.value) })}
            />
            <output>{s.bits}-bit</output>
          </label>
        )}
        <Choice
          label="Other layers"
          value={s.otherBits}
          options={[
            [8, '8-bit'],
            [32, 'float'],
          ]}
          onChange={(otherBits) => updateSettings({ otherBits })}
        />
        <Choice
          label="Activations"
          value={s.actBits}
          options={[
            [32, 'float'],
            [8, '8-bit'],
          ]}
          onChange={(actBits) => updateSettings({ actBits })}
        />
        {s.actBits < 32 && !hasCalibration && !hasEval && !hasArrays && (
          <p className="field-error">8-bit activations need calibration images for their scales.</p>
        )}
        {s.method === 'admm' && (
          <Choice
            label="Preset"
            value={s.preset}
            options={[
              ['default', 'Default (fast)'],
              ['published', 'Published'],
            ]}
            onChange={(preset) => updateSettings({ preset })}
          />
        )}
        {s.method === 'admm' && (
          <Choice
            label="Objective"
            value={s.qafObjective ?? 'data'}
            options={[
              [
                'data',
                hasCalibration || hasEval || hasArrays ? 'Data-aware' : 'Data-aware (needs data)',
              ],
              ['published', 'Paper (weight error)'],
            ]}
            onChange={(qafObjective) => updateSettings({ qafObjective })}
          />
        )}
        <label className="field-row check">
          <input
            type="checkbox"
            checked={s.calibrate && (hasCalibration || hasEval || hasArrays)}
            disabled={!hasCalibration && !hasEval && !hasArrays}
            onChange={(e) => updateSettings({ calibrate: e.target.checked })}
          />
          Calibrate after compression{' '}
          {!hasCalibration && (
            <span className="muted small">
              {hasEval
                ? '(on a part of the evaluation set)'
                : hasArrays
                  ? '(on your input arrays)'
                  : '(load data first)'}
            </span>
          )}
        </label>
        <Choice
          label="Layers"
          value={s.layerMode}
          options={[
            ['all', isFactorizingMethod(s.method) ? 'All factorizable' : 'All weight layers'],
            ['selected', 'Selected in table'],
          ]}
          onChange={(layerMode) => updateSettings({ layerMode })}
        />
        <OutputFormControls settings={s} />
        <CostPreview model={model} />
        <div className="run-actions">
          <button
            type="button"
            className="button button-primary"
            disabled={busy || sweeping || reshaping}
            title={
              sweeping
                ? 'Wait for the sweep to finish'
                : reshaping
                  ? 'Wait for the model to be read at the new input shapes'
                  : undefined
            }
            onClick={() => void compressAndEvaluate()}
          >
            {hasEval ? 'Compress & evaluate' : 'Compress'}
          </button>
          {busy && (
            <button type="button" className="button" onClick={cancelRun}>
              Cancel
            </button>
          )}
          {!hasEval && (
            <span className="muted small">No evaluation data: errors, costs and size only.</span>
          )}
        </div>
      </div>
    </section>
  );
}
