import { useState } from 'react';
import { formatBytes } from '../format.ts';
import { errorMessage } from '../workbench/datasetActions.ts';
import { downloadModel, downloadReport } from '../workbench/download.ts';
import { isQuantizingMethod, METHOD_LABELS, sizeLabel } from '../workbench/settings.ts';
import { type ResultRow, removeResult, useSession, useWorkbench } from '../workbench/store.ts';

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
        className="button-link muted"
        aria-label="Remove result"
        onClick={() => removeResult(row.id)}
      >
        ×
      </button>
    </div>
  );
}

/** One row per compressed configuration; kept across reloads. */
export function ResultsTable() {
  const rows = useWorkbench((s) => s.results);
  const selectedId = useSession((s) => s.chartSelection.resultId);
  const [error, setError] = useState<string | null>(null);
  if (rows.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="results-title">
      <div className="panel-head">
        <h2 id="results-title">Results</h2>
        <span className="muted small">
          latency: median / p90 ms per image, compressed vs original
        </span>
      </div>
      {error && <p className="field-error">{error}</p>}
      <div className="table-scroll">
        <table className="layer-table results-table" data-testid="results-table">
          <thead>
            <tr>
              <th>Method</th>
              <th>Rate / rank</th>
              <th className="num">Bits</th>
              <th className="num">Act</th>
              <th>Cal.</th>
              <th className="num">Mean layer err</th>
              <th className="num">Accuracy</th>
              <th className="num">Agreement</th>
              <th className="num">KL</th>
              <th className="num">BOP %</th>
              <th className="num">Size</th>
              <th className="num">Latency</th>
              <th className="num">Original</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const s = row.settings;
              const e = row.evaluation;
              return (
                <tr
                  key={row.id}
                  data-testid="result-row"
                  className={row.id === selectedId ? 'selected' : undefined}
                  aria-selected={row.id === selectedId}
                >
                  <td title={row.modelFileName}>{METHOD_LABELS[s.method]}</td>
                  <td>{sizeLabel(s)}</td>
                  <td className="num">{isQuantizingMethod(s.method) ? s.bits : 'float'}</td>
                  <td className="num">{s.actBits < 32 ? s.actBits : 'float'}</td>
                  <td>{row.calibrated ? 'yes' : 'no'}</td>
                  <td className="num">{row.meanError.toFixed(4)}</td>
                  <td className="num" data-testid="result-accuracy">
                    {pct(e?.accuracy)}
                  </td>
                  <td className="num">{pct(e?.agreement)}</td>
                  <td className="num">{e?.klDiv == null ? '—' : e.klDiv.toFixed(4)}</td>
                  <td className="num" data-testid="result-bop">
                    {row.bopPercent.toFixed(2)} %
                  </td>
                  <td className="num" title={`float: ${formatBytes(row.floatSizeBytes)}`}>
                    {formatBytes(row.sizeBytes)}
                  </td>
                  <td className="num">{ms(e?.latencyMs)}</td>
                  <td className="num">{ms(e?.referenceLatencyMs)}</td>
                  <td>
                    <RowActions row={row} onError={setError} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
