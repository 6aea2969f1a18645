// Above the layer table: "Measure sensitivity" (progress, time left, cancel), then a budget
// slider that runs the solver on every move and fills the per-layer overrides.
import { useEffect, useState } from 'react';
import type { Budget } from '../../core/allocate/index.ts';
import type { LatencyTable } from '../../core/cost/latencyTable.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { formatBytes } from '../format.ts';
import { useAllocation } from '../workbench/allocationStore.ts';
import {
  clearLatency,
  latencyRequestKey,
  loadKnownLatency,
  useLatency,
} from '../workbench/latencyActions.ts';
import { modelKey } from '../workbench/pipeline.ts';
import {
  applyBudget,
  budgetRange,
  cancelSensitivity,
  MENUS,
  type MenuSize,
  measureLayerSensitivity,
} from '../workbench/sensitivityActions.ts';
import {
  sensitivityBoundBytes,
  sensitivityStore,
  useStoredSensitivity,
} from '../workbench/sensitivityStore.ts';
import { isBusy, useSession } from '../workbench/store.ts';
import { BudgetSweep } from './BudgetSweep.tsx';
import { LatencyMeasure } from './LatencyMeasure.tsx';
import { SensitivityHeatmap } from './SensitivityHeatmap.tsx';

const IMAGE_CHOICES = [32, 64, 128, 256];

function menuText(size: MenuSize): string {
  const m = MENUS[size];
  return `${size}: rates ${m.rates?.join(', ')} x ${m.bits?.join(', ')} bits, keep`;
}

function etaText(etaMs: number | null): string {
  if (etaMs === null) return '';
  const s = Math.ceil(etaMs / 1000);
  return s >= 90 ? `, about ${Math.ceil(s / 60)} min left` : `, about ${s} s left`;
}

type BudgetOn = 'bops' | 'size' | 'latency';

const SLIDER_LABEL: Record<BudgetOn, string> = {
  bops: 'Budget (BOP %)',
  size: 'Budget (weight bytes)',
  latency: 'Budget (latency ms)',
};

function budgetValue(budget: Budget | null, kind: BudgetOn): number | null {
  if (budget?.kind !== kind) return null;
  if ('percent' in budget) return budget.percent;
  if ('bytes' in budget) return budget.bytes;
  return 'ms' in budget ? budget.ms : null;
}

function toBudget(kind: BudgetOn, v: number): Budget {
  if (kind === 'bops') return { kind: 'bops', percent: v };
  return kind === 'size' ? { kind: 'size', bytes: v } : { kind: 'latency', ms: v };
}

function showAmount(kind: BudgetOn, v: number): string {
  if (kind === 'bops') return `${v.toFixed(2)} % BOPs`;
  return kind === 'size' ? formatBytes(v) : `${v.toFixed(2)} ms`;
}

function BudgetSlider({ kind, latency }: { kind: BudgetOn; latency?: LatencyTable }) {
  const table = useAllocation((st) => st.table)!;
  const budget = useAllocation((st) => st.budget);
  const solved = useAllocation((st) => st.solved);
  const message = useAllocation((st) => st.budgetMessage);
  const cap = useAllocation((st) => st.sizeCap);
  const { min, max } = budgetRange(table, kind, latency);
  const value = budgetValue(budget, kind) ?? (min + max) / 2;
  const show = (v: number) => showAmount(kind, v);
  return (
    <div className="budget" data-testid="budget">
      <label className="slider">
        <span className="field-label">Budget</span>
        <input
          type="range"
          aria-label={SLIDER_LABEL[kind]}
          min={min}
          max={max}
          step={(max - min) / 200 || 1}
          value={value}
          onChange={(e) => void applyBudget(table, toBudget(kind, Number(e.target.value)), latency)}
        />
        <output data-testid="budget-value">{show(value)}</output>
      </label>
      <p className="muted small">
        From {show(min)} (every layer at its cheapest option) to {show(max)}.{' '}
        {solved && (
          <span data-testid="budget-solved">
            Allocated: {solved.bopPercent.toFixed(2)} % BOPs, {formatBytes(solved.weightBytes)}{' '}
            weights as stored
            {solved.latencyMs !== undefined &&
              `, predicted ${solved.latencyMs.toFixed(2)} ms a call (original ${latency?.modelMs.toFixed(2)} ms)`}
            ; solver {solved.ms.toFixed(1)} ms
            {solved.exact
              ? ' (optimal)'
              : kind === 'bops' && cap !== null
                ? ' (both limits hold; not proven optimal)'
                : ' (within its bound)'}
            .
          </span>
        )}
      </p>
      {kind === 'bops' && <SizeCap />}
      {kind === 'bops' && table.actBits >= 32 && (
        <p className="muted small" data-testid="budget-activations-hint">
          These BOPs count float activations. A BOP is weight bits x activation bits, so with 8-bit
          Activations (then Measure sensitivity again) every option costs 4x fewer: on ResNet-20 the
          8-bit model then fits uniform QAF r2 w4's BOPs and scores within 0.1 point of float.
        </p>
      )}
      {message && (
        <p className="warning small" role="alert">
          {message}
        </p>
      )}
    </div>
  );
}

/**
 * A BOP budget's second limit: the stored weight bytes. BOPs count 5-7-bit arithmetic as such
 * while the file stores those codes in 8-bit containers, so a BOP budget alone can pick a larger
 * file than the uniform setting it replaces.
 */
function SizeCap() {
  const table = useAllocation((st) => st.table)!;
  const cap = useAllocation((st) => st.sizeCap);
  const budget = useAllocation((st) => st.budget);
  const solved = useAllocation((st) => st.solved);
  const { min, max } = budgetRange(table, 'size');
  const setCap = (bytes: number | null) => {
    useAllocation.setState({ sizeCap: bytes });
    if (budget?.kind === 'bops') void applyBudget(table, budget);
  };
  return (
    <div className="field-row small">
      <label className="check">
        <input
          type="checkbox"
          checked={cap !== null}
          onChange={(e) =>
            setCap(e.target.checked ? Math.min(max, solved?.weightBytes ?? (min + max) / 2) : null)
          }
        />{' '}
        Also keep the stored weights within
      </label>{' '}
      {cap !== null && (
        <label className="slider">
          <input
            type="range"
            aria-label="Size cap (stored weight bytes)"
            min={min}
            max={max}
            step={(max - min) / 200 || 1}
            value={cap}
            onChange={(e) => setCap(Number(e.target.value))}
          />
          <output data-testid="size-cap-value">{formatBytes(cap)}</output>
        </label>
      )}
    </div>
  );
}

/** What the page keeps across reloads, and a Clear (the store is bounded, LRU, in any case). */
function StoredMeasurements({ running }: { running: boolean }) {
  const { count, bytes, error } = useStoredSensitivity();
  useEffect(() => {
    void sensitivityStore.refresh();
  }, []);
  return (
    <p className="muted small" data-testid="sensitivity-stored">
      {error ??
        `${count} measurement${count === 1 ? '' : 's'} kept in this browser (${formatBytes(bytes)}; the least recently used go first past ${formatBytes(sensitivityBoundBytes())}).`}{' '}
      <button
        type="button"
        className="button small"
        disabled={running || count === 0}
        onClick={() => void Promise.all([sensitivityStore.clear(), clearLatency()])}
      >
        Clear measurements
      </button>
    </p>
  );
}

export function SensitivityPanel({ model }: { model: ModelOverview }) {
  const state = useAllocation();
  const busy = useSession((st) => isBusy(st.run) || st.sweep.running);
  const [images, setImages] = useState(256);
  const [menu, setMenu] = useState<MenuSize>('small');
  const [kind, setKind] = useState<BudgetOn>('bops');
  const [heatmap, setHeatmap] = useState(false);
  const running = state.status === 'running';
  const current = state.table && state.modelKey === modelKey(model) ? state.table : null;
  const latency = useLatency();
  const latencyTable =
    current && latency.table && latency.key === latencyRequestKey(current) ? latency.table : null;
  return (
    <div className="sensitivity-panel" data-testid="sensitivity-panel">
      <div className="field-row">
        <label>
          Images{' '}
          <select
            aria-label="Sensitivity images"
            value={images}
            disabled={running}
            onChange={(e) => setImages(Number(e.target.value))}
          >
            {IMAGE_CHOICES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Options{' '}
          <select
            aria-label="Sensitivity options"
            value={menu}
            disabled={running}
            onChange={(e) => setMenu(e.target.value as MenuSize)}
          >
            {(['small', 'full'] as const).map((m) => (
              <option key={m} value={m}>
                {menuText(m)}
              </option>
            ))}
          </select>
        </label>{' '}
        {running ? (
          <button type="button" className="button" onClick={cancelSensitivity}>
            Cancel
          </button>
        ) : (
          <button
            type="button"
            className="button"
            disabled={busy}
            title={busy ? 'Wait for the running step to finish' : undefined}
            onClick={() => void measureLayerSensitivity(model, images, menu)}
          >
            Measure sensitivity
          </button>
        )}
      </div>
      {state.status !== 'idle' && (
        <p className="muted small" data-testid="sensitivity-status" aria-live="polite">
          {running
            ? `Measuring ${Math.round(100 * state.progress)} %${etaText(state.etaMs)}: ${state.detail}`
            : state.status === 'failed'
              ? `Not measured: ${state.message}`
              : state.status === 'cancelled'
                ? 'Cancelled; what was measured is kept for the next try.'
                : `Measured ${state.detail}`}
        </p>
      )}
      <StoredMeasurements running={running} />
      {running && (
        <progress
          className="sensitivity-progress"
          value={state.progress}
          max={1}
          aria-label="Sensitivity progress"
        />
      )}
      {current && (
        <>
          <div className="field-row">
            <fieldset className="segmented" aria-label="Budget on">
              <button type="button" aria-pressed={kind === 'bops'} onClick={() => setKind('bops')}>
                BOP %
              </button>
              <button type="button" aria-pressed={kind === 'size'} onClick={() => setKind('size')}>
                Size
              </button>
              <button
                type="button"
                aria-pressed={kind === 'latency'}
                onClick={() => {
                  setKind('latency');
                  void loadKnownLatency(current);
                }}
              >
                Latency
              </button>
            </fieldset>{' '}
            <label className="check small">
              <input
                type="checkbox"
                checked={heatmap}
                onChange={(e) => setHeatmap(e.target.checked)}
              />{' '}
              Heat map
            </label>
          </div>
          {kind === 'latency' && (
            <LatencyMeasure model={model} table={current} ready={latencyTable !== null} />
          )}
          {kind !== 'latency' && <BudgetSlider kind={kind} />}
          {kind === 'latency' && latencyTable && (
            <BudgetSlider kind="latency" latency={latencyTable} />
          )}
          {kind === 'bops' && <BudgetSweep model={model} />}
          {heatmap && <SensitivityHeatmap table={current} />}
        </>
      )}
    </div>
  );
}
