// The one-page report of a configuration: one self-contained HTML file (inline style and SVG,
// no script, nothing fetched) with the settings, the model and data hashes, the metrics beside
// the original model's on the same images, the per-layer table and the charts as drawn.

import { formatBytes } from '../format.ts';
import { arraysSentence } from './arraysText.ts';
import type { OriginalRow } from './resultGroups.ts';
import { isQuantizingMethod, METHOD_LABELS, sizeLabel } from './settings.ts';
import type { ResultRow } from './store.ts';

export interface HtmlReportInput {
  row: ResultRow;
  original: OriginalRow | null;
  /** The charts as drawn on the page (serialized SVG), with their titles. */
  charts: { title: string; svg: string }[];
  app: { name: string; version: string };
  /** A link that opens the app with these settings (settingsShare.ts). */
  settingsLink: string;
  generatedAt: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pct = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(digits)} %`;

const ms = (v: { median: number; p90: number } | null | undefined) =>
  v ? `${v.median.toFixed(2)} / ${v.p90.toFixed(2)} ms` : '—';

/** "QAF (ADMM), rate 2, 4-bit weights, calibrated": the configuration in one line. */
export function configurationTitle(row: ResultRow): string {
  const s = row.settings;
  const parts = [METHOD_LABELS[s.method]];
  const size = sizeLabel(s);
  if (size !== '—') parts.push(size);
  parts.push(isQuantizingMethod(s.method) ? `${s.bits}-bit weights` : 'float weights');
  parts.push(s.actBits < 32 ? `${s.actBits}-bit activations` : 'float activations');
  parts.push(row.calibrated ? 'calibrated' : 'not calibrated');
  return parts.join(', ');
}

function table(head: string[], rows: string[][], numeric: boolean[] = []): string {
  const cell = (tag: string, v: string, i: number) =>
    `<${tag}${numeric[i] ? ' class="num"' : ''}>${escapeHtml(v)}</${tag}>`;
  return [
    '<table>',
    `<thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead>`,
    `<tbody>${rows.map((r) => `<tr>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`).join('')}</tbody>`,
    '</table>',
  ].join('');
}

function facts(pairs: [string, string][]): string {
  return `<dl>${pairs.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

function metricsTable(row: ResultRow, original: OriginalRow | null): string {
  const e = row.evaluation;
  const rows = [
    [
      'Compressed',
      pct(e?.accuracy),
      pct(e?.agreement),
      `${row.bopPercent.toFixed(2)} %`,
      formatBytes(row.sizeBytes),
      ms(e?.latencyMs),
    ],
  ];
  if (original) {
    rows.unshift([
      'Original model',
      pct(original.accuracy),
      '100.00 %',
      '100.00 %',
      formatBytes(original.sizeBytes),
      ms(original.latencyMs ?? e?.referenceLatencyMs),
    ]);
  }
  return table(
    [
      '',
      'Accuracy (top-1)',
      'Agreement with the original',
      'Compute (BOPs)',
      'Model size',
      'Latency (median / p90)',
    ],
    rows,
    [false, true, true, true, true, true],
  );
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1c2330;max-width:1000px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.muted{color:#667085}table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{border-bottom:1px solid #e4e7ec;padding:4px 8px;text-align:left}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{color:#667085}dd{margin:0;overflow-wrap:anywhere}
figure{margin:8px 0}figcaption{font-weight:600;margin-bottom:4px}svg{max-width:100%;height:auto}
code,pre{font-size:12px;overflow-wrap:anywhere;white-space:pre-wrap}`;

export function htmlReport(input: HtmlReportInput): string {
  const { row, original } = input;
  const title = configurationTitle(row);
  const e = row.evaluation;
  const s = row.settings;
  const settings: [string, string][] = [
    ['Method', METHOD_LABELS[s.method]],
    ['Size', sizeLabel(s)],
    ['Weight bits', isQuantizingMethod(s.method) ? String(s.bits) : 'float'],
    ['Activation bits', s.actBits < 32 ? String(s.actBits) : 'float'],
    ['Other layers', s.otherBits < 32 ? `${s.otherBits}-bit weights` : 'float'],
    ['Solver preset', s.preset],
    // Rows saved before data-aware QAF, and published runs, have none.
    ...(row.objective ? [['QAF objective', row.objective] as [string, string]] : []),
    ['Calibrated', row.calibrated ? (row.calibration ?? 'yes') : 'no'],
    [
      'Layers',
      s.layerMode === 'all' ? `all eligible (${row.layers.length})` : s.selectedLayers.join(', '),
    ],
  ];
  const sources: [string, string][] = [
    ['Model file', row.modelFileName],
    ['Model SHA-256', row.modelHash ?? 'not recorded (run made before hashes were kept)'],
    ['Evaluation data', row.dataFileName ?? 'none'],
    ['Data SHA-256', row.dataHash ?? '—'],
    ['Images evaluated', e ? e.images.toLocaleString('en-US') : '—'],
    // Without labelled images: agreement with the original on the user's arrays, not accuracy.
    ...(row.arrays ? [['Your arrays', arraysSentence(row.arrays)] as [string, string]] : []),
    ['Measured', new Date(row.createdAt).toISOString()],
    ['Report made', `${input.generatedAt} by ${input.app.name} ${input.app.version}`],
  ];
  const layers = table(
    ['Layer', 'Rank', 'Relative weight error'],
    row.layers.map((l) => [l.name, String(l.rank), l.error.toFixed(4)]),
    [false, true, true],
  );
  const charts = input.charts
    .map((c) => `<figure><figcaption>${escapeHtml(c.title)}</figcaption>${c.svg}</figure>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${row.modelFileName}: ${title}`)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(row.modelFileName)}: ${escapeHtml(title)}</h1>
<p class="muted">Compressed by quantization-aware CP factorization in ${escapeHtml(input.app.name)}; every number below was measured in the browser on the images named.</p>
<h2>Results</h2>
${metricsTable(row, original)}
<p class="muted">Mean relative layer error ${row.meanError.toFixed(4)}; output change (KL) ${e?.klDiv == null ? '—' : e.klDiv.toFixed(4)}.</p>
<h2>Settings</h2>
${facts(settings)}
<p>To reproduce: open <a href="${escapeHtml(input.settingsLink)}">this link</a>, or paste it into “Load settings”.</p>
<pre><code>${escapeHtml(JSON.stringify(s, null, 2))}</code></pre>
<h2>Model and data</h2>
${facts(sources)}
<h2>Per layer</h2>
${layers}
${charts ? `<h2>Charts</h2>${charts}` : ''}
</body></html>
`;
}
