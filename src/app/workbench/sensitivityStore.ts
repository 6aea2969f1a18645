// Sensitivity measurements kept across reloads (issue #15), bounded like the stored models
// (modelStore.ts): least recently used first when the entries pass MAX_SENSITIVITY_BYTES, and a
// Clear for the user. One record per measurement in the 'qaf-sensitivity' IndexedDB database;
// the bookkeeping (key, size, last use) is read once a session and kept here. Never throws to
// the caller: without IndexedDB the session's measurements are all there is, and `error` says so.
import { create } from 'zustand';
import type {
  OptionSensitivity,
  SensitivityCacheEntry,
  SensitivityEntryInfo,
} from '../../core/allocate/index.ts';
import { idbKeyValue, type KeyValueStore } from './idbKeyValue.ts';
import { evictionsFor } from './modelStore.ts';

/** 20 MB: about 60,000 measurements (a ResNet-56 full menu is 1,400); browsers grant far more. */
export const MAX_SENSITIVITY_BYTES = 20 * 1024 * 1024;

export type StoredMeasurement = SensitivityCacheEntry & { savedAt: number; usedAt?: number };

export interface StoredSensitivityState {
  count: number;
  bytes: number;
  /** Why measurements are not kept, in words; null when all went well. */
  error: string | null;
}

export const useStoredSensitivity = create<StoredSensitivityState>(() => ({
  count: 0,
  bytes: 0,
  error: null,
}));

interface Bookkeeping {
  sizeBytes: number;
  usedAt: number;
}

/** Bytes one record takes, near enough for a bound: its JSON (IndexedDB's own is similar). */
function recordBytes(key: string, record: StoredMeasurement): number {
  return key.length + JSON.stringify(record).length;
}

/**
 * A SensitivityCache over `store` (the page's IndexedDB database; a Map in tests): this
 * session's measurements in memory, every one in the store, the least recently used dropped
 * when the store would pass `maxBytes`.
 */
export class BoundedSensitivityStore {
  private readonly session = new Map<string, OptionSensitivity>();
  private index: Promise<Map<string, Bookkeeping>> | null = null;

  constructor(
    private readonly store: KeyValueStore<StoredMeasurement>,
    private readonly maxBytes: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<OptionSensitivity | undefined> {
    const here = this.session.get(key);
    if (here) return here;
    const kept = await this.store.get(key).catch(() => undefined);
    if (!kept) return undefined;
    this.session.set(key, kept.value);
    await this.touch(key, kept);
    return kept.value;
  }

  async set(key: string, value: OptionSensitivity, info?: SensitivityEntryInfo): Promise<void> {
    this.session.set(key, value);
    if (!info) return;
    const record: StoredMeasurement = { ...info, value, savedAt: this.now(), usedAt: this.now() };
    const size = recordBytes(key, record);
    try {
      const index = await this.loadIndex();
      const others = [...index].filter(([k]) => k !== key).map(([rowId, e]) => ({ rowId, ...e }));
      const drop = evictionsFor(others, size, this.maxBytes());
      if (drop === null) return; // larger than the whole bound: this session only
      for (const k of drop) {
        await this.store.delete(k);
        index.delete(k);
      }
      await this.store.put(key, record);
      index.set(key, { sizeBytes: size, usedAt: record.usedAt! });
      this.publish(index, null);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Drops every kept measurement (and this session's), then says what is left: nothing. */
  async clear(): Promise<void> {
    this.session.clear();
    try {
      const index = await this.loadIndex();
      for (const key of [...index.keys()]) {
        await this.store.delete(key);
        index.delete(key);
      }
      this.publish(index, null);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Reads the bookkeeping (once) and publishes the count and bytes kept. */
  async refresh(): Promise<void> {
    try {
      this.publish(await this.loadIndex(), null);
    } catch (err) {
      this.fail(err);
    }
  }

  private loadIndex(): Promise<Map<string, Bookkeeping>> {
    this.index ??= this.store
      .entries()
      .then(
        (entries) =>
          new Map(
            entries.map(([key, r]) => [
              key,
              { sizeBytes: recordBytes(key, r), usedAt: r.usedAt ?? r.savedAt ?? 0 },
            ]),
          ),
      );
    // A failed read is tried again next time (the user may leave private mode).
    this.index.catch(() => {
      this.index = null;
    });
    return this.index;
  }

  /** A measurement served from the store is used again: it goes to the back of the LRU. */
  private async touch(key: string, record: StoredMeasurement): Promise<void> {
    try {
      const index = await this.loadIndex();
      const entry = index.get(key);
      const usedAt = this.now();
      await this.store.put(key, { ...record, usedAt });
      if (entry) entry.usedAt = usedAt;
    } catch {
      // Only the order of eviction suffers.
    }
  }

  private publish(index: Map<string, Bookkeeping>, error: string | null): void {
    let bytes = 0;
    for (const e of index.values()) bytes += e.sizeBytes;
    useStoredSensitivity.setState({ count: index.size, bytes, error });
  }

  private fail(err: unknown): void {
    const why = err instanceof Error ? err.message : String(err);
    useStoredSensitivity.setState({
      error: `Measurements are kept for this session only (${why}).`,
    });
  }
}

export function sensitivityBoundBytes(): number {
  // Tests set a small bound to see the eviction (?sensitivityCacheBytes=5000).
  const given = new URLSearchParams(globalThis.location?.search).get('sensitivityCacheBytes');
  const fromUrl = Number(given);
  return fromUrl > 0 ? fromUrl : MAX_SENSITIVITY_BYTES;
}

/** The page's store of measurements: one per page. */
export const sensitivityStore = new BoundedSensitivityStore(
  idbKeyValue<StoredMeasurement>('qaf-sensitivity'),
  sensitivityBoundBytes,
);
