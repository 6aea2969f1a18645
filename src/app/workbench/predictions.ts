// Sample predictions of the runs, by result row: the eval worker's thumbnails and both models'
// top-1. Kept here and in IndexedDB (the last KEEP runs'), not in the stored row (bytes), so a
// reload shows them again; the store only says which rows have one.
import { create } from 'zustand';
import type { PredictionSample } from '../bridge/evalTypes.ts';
import { idbKeyValue } from './idbKeyValue.ts';

/** Enough to see a pattern, small enough to keep the message under ~330 KB. */
export const SAMPLE_IMAGES = 48;

const samples = new Map<string, PredictionSample>();
/** A run's thumbnails are ~150 KB: keep the last few runs'. */
const KEEP = 10;

export const usePredictionRows = create<{ latest: string | null; rows: string[] }>(() => ({
  latest: null,
  rows: [],
}));

interface Kept {
  savedAt: number;
  sample: PredictionSample;
}

const kept = idbKeyValue<Kept>('qaf-predictions');

export function keepSample(rowId: string, sample: PredictionSample | null): void {
  if (!sample) return;
  samples.set(rowId, sample);
  while (samples.size > KEEP) {
    const oldest = samples.keys().next().value as string;
    samples.delete(oldest);
    void kept.delete(oldest).catch(() => {});
  }
  usePredictionRows.setState({ latest: rowId, rows: [...samples.keys()] });
  // Not kept across a reload when the browser refuses: this session still shows it.
  void kept.put(rowId, { savedAt: Date.now(), sample }).catch(() => {});
}

/** The samples kept by earlier sessions, oldest first, under this session's newer ones. */
export async function restoreSamples(): Promise<void> {
  const entries = await kept.entries();
  entries.sort((a, b) => a[1].savedAt - b[1].savedAt);
  const newer = [...samples.entries()];
  samples.clear();
  for (const [rowId, entry] of entries.slice(-KEEP)) samples.set(rowId, entry.sample);
  for (const [rowId, sample] of newer) {
    samples.delete(rowId);
    samples.set(rowId, sample);
  }
  while (samples.size > KEEP) samples.delete(samples.keys().next().value as string);
  const rows = [...samples.keys()];
  usePredictionRows.setState((s) => ({ latest: s.latest ?? rows.at(-1) ?? null, rows }));
}

if (typeof indexedDB !== 'undefined') void restoreSamples().catch(() => {});

export function sampleOf(rowId: string | null): PredictionSample | undefined {
  return rowId ? samples.get(rowId) : undefined;
}

export function className(sample: PredictionSample, cls: number | null): string {
  if (cls === null) return '—';
  return sample.classNames?.[cls] ?? `class ${cls}`;
}
