// Downloads of a result row: the compressed .onnx and its report (JSON) under matching names.
import { artifactsFor } from './runActions.ts';
import { compressedFileName } from './settings.ts';
import type { ResultRow } from './store.ts';

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
