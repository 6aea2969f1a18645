// Browser storage that cannot wedge the app. Every localStorage access goes through here: it
// never throws (a full quota, storage disabled by the browser, a value that is not JSON), it
// bounds what one key may hold, and it shrinks a value (oldest entries first) until it fits.
// A problem is reported once per session to the UI (StorageNotice), not on every change.
import { create } from 'zustand';

/**
 * Largest value one key may hold, in UTF-16 code units (what browsers count). Browsers give an
 * origin about 5 M of them in all; 1 M leaves room for the rest and keeps each write quick.
 */
export const MAX_STORED_CHARS = 1_000_000;

export type WriteOutcome = 'ok' | 'quota' | 'too-large' | 'unavailable';

export interface StorageNotice {
  /** What went wrong, in words; null when nothing has. */
  message: string | null;
  /** Stored results can be cleared to make room (a quota or size problem, not disabled storage). */
  canClear: boolean;
  /** Set by the first report: later problems in this session stay quiet. */
  reported: boolean;
}

export const useStorageNotice = create<StorageNotice>(() => ({
  message: null,
  canClear: false,
  reported: false,
}));

export function dismissStorageNotice(): void {
  useStorageNotice.setState({ message: null });
}

function reportOnce(message: string, canClear: boolean): void {
  if (useStorageNotice.getState().reported) return;
  useStorageNotice.setState({ message, canClear, reported: true });
}

/** localStorage, or null where the browser refuses it (the getter itself can throw). */
function backend(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

function isQuotaError(err: unknown): boolean {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : null;
  // Firefox used its own name before adopting the standard one.
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

export function readItem(key: string): string | null {
  try {
    return backend()?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function removeItem(key: string): void {
  try {
    backend()?.removeItem(key);
  } catch {
    // Nothing to do: the value stays, and will be overwritten or ignored.
  }
}

export function writeItem(key: string, value: string, maxChars = MAX_STORED_CHARS): WriteOutcome {
  if (value.length > maxChars) return 'too-large';
  const storage = backend();
  if (!storage) return 'unavailable';
  try {
    storage.setItem(key, value);
    return 'ok';
  } catch (err) {
    return isQuotaError(err) ? 'quota' : 'unavailable';
  }
}

/** The JSON stored under `key`, or null when absent, unreadable or not JSON. */
export function readJson<T>(key: string): T | null {
  const text = readItem(key);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

export interface BoundedWrite<T> {
  key: string;
  value: T;
  /**
   * `value` without its oldest entries, at least `chars` characters of JSON fewer; null when
   * there is nothing left to drop.
   */
  shrink: (value: T, chars: number) => T | null;
  maxChars?: number;
}

/**
 * Per key, the largest JSON that fit after the quota refused a larger one: later writes aim
 * below it instead of failing again on every settings change.
 */
const quotaFit = new Map<string, number>();

function budgetOf(key: string, maxChars: number): number {
  return Math.min(maxChars, quotaFit.get(key) ?? maxChars);
}

/**
 * Stores `value` as JSON, shrinking it until it fits both the per-key bound and the browser's
 * quota. Returns what happened to the first, full value; never throws.
 */
export function writeBounded<T>(write: BoundedWrite<T>): WriteOutcome {
  const { key, shrink, maxChars = MAX_STORED_CHARS } = write;
  let current: T | null = write.value;
  let first: WriteOutcome | null = null;
  while (current !== null) {
    let text: string;
    try {
      text = JSON.stringify(current);
    } catch {
      first ??= 'unavailable'; // a cycle or a BigInt: a bug, but not one to crash on
      break;
    }
    let outcome: WriteOutcome;
    if (text.length > budgetOf(key, maxChars)) {
      outcome = (quotaFit.get(key) ?? maxChars) < maxChars ? 'quota' : 'too-large';
    } else {
      outcome = writeItem(key, text, maxChars);
      if (outcome === 'quota') quotaFit.set(key, Math.floor(text.length * 0.9));
      else if (outcome === 'ok' && first === 'quota') quotaFit.set(key, text.length);
    }
    first ??= outcome;
    if (outcome === 'unavailable') break;
    if (outcome === 'ok') {
      if (first !== 'ok') reportTrimmed(first);
      return first;
    }
    current = shrink(current, Math.max(1, text.length - budgetOf(key, maxChars)));
  }
  if (first === 'unavailable' || first === null) {
    reportOnce('Browser storage is unavailable: settings and results will not be kept.', false);
  } else {
    reportOnce('Browser storage is full: settings and results are no longer saved.', true);
  }
  return first ?? 'unavailable';
}

function reportTrimmed(outcome: WriteOutcome): void {
  const why =
    outcome === 'quota' ? 'Browser storage is full' : 'Stored results reached their limit';
  reportOnce(`${why}: the oldest results were not saved and will be gone after a reload.`, true);
}
