// Compressed models of completed runs, kept in IndexedDB so "Download model" after a reload is
// instant instead of a silent rebuild. Bounded: least recently used models go first when a new
// one would pass MAX_STORED_MODEL_BYTES. Never throws to the caller: a full disk (quota) or a
// browser without IndexedDB is said in `useStoredModels.error`, and the run's numbers (the
// result row, in localStorage) are kept regardless.
import { create } from 'zustand';
import type { CompressionReport } from '../../core/rewrite/index.ts';

export interface StoredArtifacts {
  bytes: Uint8Array;
  report: CompressionReport;
}

/** What the LRU bookkeeping reads: never the bytes themselves. */
export interface StoredModelEntry {
  rowId: string;
  sizeBytes: number;
  usedAt: number;
}

/** 200 MB: a few hundred CIFAR models or eight ResNet-50s at 4 bits; browsers grant far more. */
export const MAX_STORED_MODEL_BYTES = 200 * 1024 * 1024;

export interface StoredModelsState {
  bytes: number;
  count: number;
  /** Why a model could not be kept, in words; null when all went well. */
  error: string | null;
}

export const useStoredModels = create<StoredModelsState>(() => ({
  bytes: 0,
  count: 0,
  error: null,
}));

/**
 * Which stored models to drop, least recently used first, so that `incomingBytes` fits within
 * `maxBytes`. A model larger than the bound on its own is not stored (null).
 */
export function evictionsFor(
  entries: readonly StoredModelEntry[],
  incomingBytes: number,
  maxBytes: number,
): string[] | null {
  if (incomingBytes > maxBytes) return null;
  const oldestFirst = [...entries].sort((a, b) => a.usedAt - b.usedAt);
  let total = entries.reduce((sum, e) => sum + e.sizeBytes, 0);
  const drop: string[] = [];
  for (const entry of oldestFirst) {
    if (total + incomingBytes <= maxBytes) break;
    drop.push(entry.rowId);
    total -= entry.sizeBytes;
  }
  return drop;
}

const DB_NAME = 'qaf-workbench-models';
const MODELS = 'models';
const ENTRIES = 'entries';

function maxBytes(): number {
  // Tests set a small bound to see the eviction (?storedModelBytes=300000).
  const fromUrl = Number(new URLSearchParams(globalThis.location?.search).get('storedModelBytes'));
  return fromUrl > 0 ? fromUrl : MAX_STORED_MODEL_BYTES;
}

let db: Promise<IDBDatabase> | null = null;

function openDb(): Promise<IDBDatabase> {
  db ??= new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('this browser offers no IndexedDB'));
      return;
    }
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(MODELS);
      request.result.createObjectStore(ENTRIES, { keyPath: 'rowId' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  // A failed open is tried again next time (the user may free space or leave private mode).
  db.catch(() => {
    db = null;
  });
  return db;
}

function requestDone<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
}

async function entries(database: IDBDatabase): Promise<StoredModelEntry[]> {
  const store = database.transaction(ENTRIES, 'readonly').objectStore(ENTRIES);
  return (await requestDone(store.getAll())) as StoredModelEntry[];
}

function publish(list: readonly StoredModelEntry[]): void {
  useStoredModels.setState({
    bytes: list.reduce((sum, e) => sum + e.sizeBytes, 0),
    count: list.length,
  });
}

function isQuota(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads how much is stored, for the "stored: N MB" line. */
export async function refreshStoredModels(): Promise<void> {
  try {
    publish(await entries(await openDb()));
  } catch {
    publish([]);
  }
}

/** Keeps a completed run's model; says why in `error` when the browser refuses. */
export async function keepModel(rowId: string, artifacts: StoredArtifacts): Promise<void> {
  const sizeBytes = artifacts.bytes.byteLength;
  try {
    const database = await openDb();
    const drop = evictionsFor(await entries(database), sizeBytes, maxBytes());
    if (drop === null) {
      useStoredModels.setState({
        error: `This model (${(sizeBytes / 1e6).toFixed(1)} MB) is larger than the space kept for stored models; its numbers are kept, and "Download model" will rebuild it after a reload.`,
      });
      return;
    }
    const tx = database.transaction([MODELS, ENTRIES], 'readwrite');
    const done = transactionDone(tx);
    for (const id of drop) {
      tx.objectStore(MODELS).delete(id);
      tx.objectStore(ENTRIES).delete(id);
    }
    tx.objectStore(MODELS).put({ bytes: artifacts.bytes, report: artifacts.report }, rowId);
    tx.objectStore(ENTRIES).put({ rowId, sizeBytes, usedAt: Date.now() });
    await done;
    useStoredModels.setState({ error: null });
  } catch (err) {
    useStoredModels.setState({
      error: isQuota(err)
        ? 'Browser storage is full: the compressed model was not stored (its numbers are kept). Clear stored models to make room; "Download model" rebuilds it meanwhile.'
        : `The compressed model could not be stored in this browser (${reason(err)}); its numbers are kept.`,
    });
  }
  await refreshStoredModels();
}

/** The stored model of a result row, marked as just used; undefined when not stored. */
export async function storedModel(rowId: string): Promise<StoredArtifacts | undefined> {
  try {
    const database = await openDb();
    const tx = database.transaction([MODELS, ENTRIES], 'readwrite');
    const found = (await requestDone(tx.objectStore(MODELS).get(rowId))) as
      | StoredArtifacts
      | undefined;
    if (found) {
      const entry = { rowId, sizeBytes: found.bytes.byteLength, usedAt: Date.now() };
      tx.objectStore(ENTRIES).put(entry);
    }
    return found;
  } catch {
    return undefined;
  }
}

export async function forgetModel(rowId: string): Promise<void> {
  try {
    const tx = (await openDb()).transaction([MODELS, ENTRIES], 'readwrite');
    tx.objectStore(MODELS).delete(rowId);
    tx.objectStore(ENTRIES).delete(rowId);
    await transactionDone(tx);
  } catch {
    // Left for the LRU to drop later.
  }
  await refreshStoredModels();
}

export async function clearStoredModels(): Promise<void> {
  try {
    const tx = (await openDb()).transaction([MODELS, ENTRIES], 'readwrite');
    tx.objectStore(MODELS).clear();
    tx.objectStore(ENTRIES).clear();
    await transactionDone(tx);
    useStoredModels.setState({ error: null });
  } catch (err) {
    useStoredModels.setState({ error: `Stored models could not be cleared: ${reason(err)}` });
  }
  await refreshStoredModels();
}
