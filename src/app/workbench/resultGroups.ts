// The results table by image set: each set's runs under the original (float) model measured on
// the same images, so "what did compression cost" reads off one table.
import { imageSetKey } from './chartData.ts';
import type { Baselines, ResultRow, StoredSweepRow } from './store.ts';

export interface OriginalRow {
  /** Top-1 in [0, 1]. */
  accuracy: number;
  images: number;
  /** Median / p90 ms per image measured beside the runs (their reference). */
  latencyMs: { median: number; p90: number } | null;
  sizeBytes: number;
}

export interface ResultGroup {
  key: string;
  original: OriginalRow | null;
  rows: ResultRow[];
}

function floatAccuracy(
  row: ResultRow,
  images: number,
  baselines: Baselines,
  sweepRows: readonly StoredSweepRow[],
): number | null {
  const sweep = sweepRows.find(
    (r) =>
      r.method === 'float' &&
      r.modelFileName === row.modelFileName &&
      r.dataHash === row.dataHash &&
      r.images === images,
  );
  if (sweep) return sweep.accuracy;
  for (const [key, value] of Object.entries(baselines)) {
    const [fileName, , dataHash] = JSON.parse(key) as [string, number, string];
    if (fileName === row.modelFileName && dataHash === row.dataHash && value.images === images) {
      return value.accuracy;
    }
  }
  return null;
}

/** Rows by model and image set, in order of first appearance; rows not evaluated come last. */
export function resultGroups(
  rows: readonly ResultRow[],
  baselines: Baselines,
  sweepRows: readonly StoredSweepRow[],
): ResultGroup[] {
  const groups = new Map<string, ResultGroup>();
  for (const row of rows) {
    const images = row.evaluation?.images ?? null;
    const key =
      images === null || !row.dataHash
        ? `${row.modelFileName}|unmatched`
        : `${row.modelFileName}|${imageSetKey(row.dataHash, images)}`;
    let group = groups.get(key);
    if (!group) {
      const accuracy =
        images === null || !row.dataHash ? null : floatAccuracy(row, images, baselines, sweepRows);
      const original =
        accuracy === null || images === null
          ? null
          : {
              accuracy,
              images,
              latencyMs: row.evaluation?.referenceLatencyMs ?? null,
              sizeBytes: row.floatSizeBytes,
            };
      group = { key, original, rows: [] };
      groups.set(key, group);
    }
    group.rows.push(row);
  }
  return [...groups.values()].sort((a, b) => Number(!a.original) - Number(!b.original));
}
