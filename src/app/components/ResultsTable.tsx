import { useMemo, useState } from 'react';
import { formatBytes } from '../format.ts';
import { useAppStore } from '../store.ts';
import { isAllocated, methodText } from '../workbench/allocation.ts';
import { agreementFigure, arraysSentence, outputChange } from '../workbench/arraysText.ts';
import { errorMessage } from '../workbench/datasetActions.ts';
import { downloadHtmlReport, downloadModel, downloadReport } from '../workbench/download.ts';
import { isOpenModelRow, otherModelRuns, useOpenModelHash } from '../workbench/modelHistory.ts';
import { forgetModel } from '../workbench/modelStore.ts';
import { TERMS } from '../workbench/pointText.ts';
import { type OriginalRow, resultGroups } from '../workbench/resultGroups.ts';
import { isQuantizingMethod, sizeLabel } from '../workbench/settings.ts';
import { type ResultRow, removeResult, useSession, useWorkbench } from '../workbench/store.ts';
import { StoredModels } from './StoredModels.tsx';

function pct(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v)
    ? '—'
    : `${(v * 100).toFixed(digits)} %`;
}

function ms(v: { median: number; p90: number } | null | undefined): string {
  return v ? `${v.median.toFixed(2)} / ${v.p90.toFixed(2)}` : '—';
}

function RowActions({ row, onError }: { row: ResultRow; onError(message: string): void }) {
  const run = (step: (r: ResultRow) => Promise<void>) => () =>
    void step(row).catch((e) => onError(errorMessage(e)));
  return (
    <div className="row-actions">
      <button type="button" className="button button-small" onClick={run(downloadModel)}>
        Download model
      </button>
      <button type="button" className="button-link" onClick={run(downloadReport)}>
        Report
      </button>
      <button
        type="button"
        className="button-link"
        onClick={run(downloadHtmlReport)}
        title="A one-page HTML report of this configuration: settings, model hash, metrics beside the original, per-layer table and charts"
      >
        HTML page
      </button>
      <button
        type="button"
        className="button-link muted"
        aria-label="Remove result"
        onClick={() => {
          removeResult(row.id);
          void forgetModel(row.id);
        }}
      >
        ×
      </button>
    </div>
  );
}

function ResultLine({
  row,
  selected,
  onError,
}: {
  row: ResultRow;
  selected: boolean;
  onError(message: string): void;
}) {
  const s = row.settings;
  const e = row.evaluation;
  const a = row.arrays ?? null;
  return (
    <tr
      data-testid="result-row"
      data-verdict={row.check ? (row.check.ok ? 'ok' : 'failed') : undefined}
      className={
        [selected && 'selected', row.check?.ok === false && 'result-failed']
          .filter(Boolean)
          .join(' ') || undefined
      }
      aria-selected={selected}
    >
      <td title={row.modelFileName}>
        {methodText(s)}
        {row.objective?.startsWith('data-aware') && (
          <span className="muted small" data-testid="result-objective" title={row.objective}>
            {' '}
            data-aware
          </span>
        )}
        {row.sweep && (
          <span
            className="muted small"
            data-testid="result-sweep"
            title={
              row.budgetPercent === undefined
                ? 'A point of a sweep on your arrays'
                : `A point of a budget sweep: the solver's allocation at ${row.budgetPercent.toFixed(2)} % BOPs`
            }
          >
            {' '}
            {row.budgetPercent === undefined ? 'sweep' : `budget ${row.budgetPercent.toFixed(2)} %`}
          </span>
        )}
        {row.check?.ok === false && (
          <span className="field-error" data-testid="result-check-failed" title={row.check.text}>
            {' '}
            failed check
          </span>
        )}
        {row.check?.ok === false && (
          <div className="field-error small result-note" data-testid="result-check-reason">
            {row.check.reason ?? row.check.text}
          </div>
        )}
        {a && (
          <div className="muted small result-note" data-testid="result-arrays">
            {arraysSentence(a)}
          </div>
        )}
      </td>
      <td>{isAllocated(s) ? 'per layer' : sizeLabel(s)}</td>
      <td className="num">{isQuantizingMethod(s.method) ? s.bits : 'float'}</td>
      <td className="num">{s.actBits < 32 ? s.actBits : 'float'}</td>
      <td>{row.calibrated ? 'yes' : 'no'}</td>
      <td className="num">{row.meanError.toFixed(4)}</td>
      {a && !e ? (
        <>
          <td
            className="num muted small"
            data-testid="result-accuracy"
            title="Your arrays have no labels: the run is compared with the original model instead"
          >
            no labels
          </td>
          <td className="num" data-testid="result-arrays-agreement">
            {pct(agreementFigure(a), 1)}
          </td>
          <td className="num" data-testid="result-arrays-change">
            {outputChange(a)}
          </td>
        </>
      ) : (
        <>
          <td className="num" data-testid="result-accuracy">
            {pct(e?.accuracy)}
          </td>
          <td className="num">{pct(e?.agreement)}</td>
          <td className="num">{e?.klDiv == null ? '—' : e.klDiv.toFixed(4)}</td>
        </>
      )}
      <td className="num" data-testid="result-bop">
        {row.bopPercent.toFixed(2)} %
      </td>
      <td className="num" title={`original: ${formatBytes(row.floatSizeBytes)}`}>
        {formatBytes(row.sizeBytes)}
      </td>
      <td className="num">{ms(e?.latencyMs)}</td>
      <td className="num">{ms(e?.referenceLatencyMs)}</td>
      <td>
        <RowActions row={row} onError={onError} />
      </td>
    </tr>
  );
}

/** The float model on the same images as the rows below it. */
function OriginalLine({ original }: { original: OriginalRow }) {
  return (
    <tr className="original-row" data-testid="original-row">
      <td>Original model</td>
      <td className="muted">{original.images.toLocaleString('en-US')} images</td>
      <td className="num">float</td>
      <td className="num">float</td>
      <td>—</td>
      <td className="num">0</td>
      <td className="num" data-testid="original-accuracy">
        {pct(original.accuracy)}
      </td>
      <td className="num">100.00 %</td>
      <td className="num">0</td>
      <td className="num">100.00 %</td>
      <td className="num">{formatBytes(original.sizeBytes)}</td>
      <td className="num">{ms(original.latencyMs)}</td>
      <td className="num">—</td>
      <td />
    </tr>
  );
}

const HEADERS: [string, string, boolean][] = [
  ['Method', '', false],
  ['Rate / rank', 'Parameter-reduction rate of the factorized layers, or their CP rank', false],
  ['Weight bits', 'Weight bits of the compressed layers', true],
  ['Activation bits', 'Bits of the activations (float: not quantized)', true],
  ['Calibrated', 'Output statistics re-fitted after compression', false],
  ['Layer error', 'Mean relative weight error ‖W − Ŵ‖ / ‖W‖ over the compressed layers', true],
  ['Accuracy', TERMS.accuracy, true],
  [
    'Agreement',
    'Share of images (or of your arrays’ samples) where the top-1 class, or a probability map’s pixel, equals the original model’s',
    true,
  ],
  [
    'Output change',
    'KL: Kullback–Leibler divergence of the output from the original model’s; on your arrays, the relative L2 distance of the first output from the original’s',
    true,
  ],
  ['Compute (BOPs)', TERMS.compute, true],
  ['Model size', TERMS.size, true],
  ['Latency', `${TERMS.latency} Median / p90.`, true],
  ['Original', 'The original model’s latency measured beside it', true],
];

/** The open model's rows, and the runs of other models put away in their own history. */
function useModelRows(): { rows: ResultRow[]; others: ResultRow[] } {
  const all = useWorkbench((s) => s.results);
  const model = useAppStore((s) => s.model);
  const sha256 = useOpenModelHash((s) => s.sha256);
  return useMemo(() => {
    if (!model) return { rows: all, others: [] };
    const rows: ResultRow[] = [];
    const others: ResultRow[] = [];
    for (const row of all) (isOpenModelRow(row, model, sha256) ? rows : others).push(row);
    return { rows, others };
  }, [all, model, sha256]);
}

function OtherModels({ others }: { others: ResultRow[] }) {
  if (others.length === 0) return null;
  const text = otherModelRuns(others)
    .map((m) => `${m.modelFileName} (${m.runs} ${m.runs === 1 ? 'run' : 'runs'})`)
    .join(', ');
  return (
    <p className="small muted" data-testid="other-model-runs">
      Kept for other models, back when you open them again: {text}.
    </p>
  );
}

/** One row per compressed configuration, under the original model on the same images. */
export function ResultsTable() {
  const { rows, others } = useModelRows();
  const baselines = useWorkbench((s) => s.baselines);
  const sweepRows = useWorkbench((s) => s.sweepRows);
  const selectedId = useSession((s) => s.chartSelection.resultId);
  const [error, setError] = useState<string | null>(null);
  const groups = useMemo(
    () => resultGroups(rows, baselines, sweepRows),
    [rows, baselines, sweepRows],
  );
  if (rows.length === 0 && others.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="results-title">
      <div className="panel-head">
        <h2 id="results-title">Results</h2>
        <span className="muted small">
          latency: median / p90 ms per image, compressed vs original
        </span>
        <StoredModels />
      </div>
      <OtherModels others={others} />
      {error && <p className="field-error">{error}</p>}
      <div className="table-scroll" hidden={rows.length === 0}>
        <table className="layer-table results-table" data-testid="results-table">
          <thead>
            <tr>
              {HEADERS.map(([label, term, num]) => (
                <th key={label} className={num ? 'num' : undefined} title={term || undefined}>
                  {label}
                </th>
              ))}
              <th />
            </tr>
          </thead>
          {groups.map((group) => (
            <tbody key={group.key}>
              {group.original && <OriginalLine original={group.original} />}
              {group.rows.map((row) => (
                <ResultLine
                  key={row.id}
                  row={row}
                  selected={row.id === selectedId}
                  onError={setError}
                />
              ))}
            </tbody>
          ))}
        </table>
      </div>
    </section>
  );
}
