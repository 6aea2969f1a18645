// Downloads of a result row: the compressed .onnx, its report (JSON) and its one-page HTML
// report under matching names.
import { name, version } from '../../../package.json';
import { htmlReport } from './htmlReport.ts';
import { resultGroups } from './resultGroups.ts';
import { artifactsFor } from './runActions.ts';
import { compressedFileName } from './settings.ts';
import { settingsLink, sharedConfiguration } from './settingsShare.ts';
import { type ResultRow, useWorkbench } from './store.ts';

export function saveBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has the blob once the click is handled; release it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function rowFileName(row: ResultRow, extension: string): string {
  return compressedFileName(row.modelFileName, row.settings, row.calibrated, extension);
}

export async function downloadModel(row: ResultRow): Promise<void> {
  const { bytes } = await artifactsFor(row);
  saveBlob(
    rowFileName(row, 'onnx'),
    new Blob([bytes as BlobPart], { type: 'application/octet-stream' }),
  );
}

export async function downloadReport(row: ResultRow): Promise<void> {
  const { report } = await artifactsFor(row);
  const json = JSON.stringify({ result: row, compression: report }, null, 2);
  saveBlob(rowFileName(row, 'report.json'), new Blob([json], { type: 'application/json' }));
}

/** The charts as drawn now, for the report (none when another model's charts are shown). */
function drawnCharts(): { title: string; svg: string }[] {
  return [...document.querySelectorAll('figure[data-chart]')].flatMap((figure) => {
    const svg = figure.querySelector('.plot svg');
    if (!svg) return [];
    const name = figure.querySelector('figcaption > span')?.textContent?.trim() ?? '';
    // Which image set the charts show (one per view): it may not be the row's.
    const set = document.querySelector<HTMLSelectElement>('[data-testid="image-set"]');
    const setText = set?.selectedOptions[0]?.textContent?.trim();
    const title = setText ? `${name} (${setText})` : name;
    return [{ title, svg: new XMLSerializer().serializeToString(svg) }];
  });
}

/** The one-page HTML report of the row's configuration (htmlReport.ts). */
export async function downloadHtmlReport(row: ResultRow): Promise<void> {
  const { results, baselines, sweepRows } = useWorkbench.getState();
  const group = resultGroups(results, baselines, sweepRows).find((g) => g.rows.includes(row));
  const html = htmlReport({
    row,
    original: group?.original ?? null,
    charts: drawnCharts(),
    app: { name, version },
    settingsLink: settingsLink(
      location.href,
      sharedConfiguration(row.settings, useWorkbench.getState().evalSettings),
    ),
    generatedAt: new Date().toISOString(),
  });
  saveBlob(rowFileName(row, 'report.html'), new Blob([html], { type: 'text/html' }));
}
