// Sample predictions of this session's runs, by result row: the eval worker's thumbnails and
// both models' top-1. Kept here, not in the stored row (bytes, and only meaningful while the
// data are loaded); the store only says which rows have one.
import { create } from 'zustand';
import type { PredictionSample } from '../bridge/evalTypes.ts';

/** Enough to see a pattern, small enough to keep the message under ~330 KB. */
export const SAMPLE_IMAGES = 48;

const samples = new Map<string, PredictionSample>();
/** A run's thumbnails are ~150 KB: keep the last few runs'. */
const KEEP = 10;

export const usePredictionRows = create<{ latest: string | null; rows: string[] }>(() => ({
  latest: null,
  rows: [],
}));

export function keepSample(rowId: string, sample: PredictionSample | null): void {
  if (!sample) return;
  samples.set(rowId, sample);
  while (samples.size > KEEP) samples.delete(samples.keys().next().value as string);
  usePredictionRows.setState({ latest: rowId, rows: [...samples.keys()] });
}

export function sampleOf(rowId: string | null): PredictionSample | undefined {
  return rowId ? samples.get(rowId) : undefined;
}

export function className(sample: PredictionSample, cls: number | null): string {
  if (cls === null) return '—';
  return sample.classNames?.[cls] ?? `class ${cls}`;
}
