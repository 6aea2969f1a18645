// The app's sweep cache: measurements in IndexedDB, so a point evaluated once (this session or
// an earlier one) costs one lookup. Falls back to memory where IndexedDB is unavailable.
import { MemorySweepCache } from '../src/core/sweep/cache.ts';
import type { SweepCache, SweepMeasurement } from '../src/core/sweep/types.ts';

const DB_NAME = 'qaf-workbench';
const STORE = 'sweep-points';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

class IdbSweepCache implements SweepCache {
  constructor(private readonly db: IDBDatabase) {}

  async get(key: string): Promise<SweepMeasurement | undefined> {
    const store = this.db.transaction(STORE, 'readonly').objectStore(STORE);
    return (await done(store.get(key))) as SweepMeasurement | undefined;
  }

  async set(key: string, value: SweepMeasurement): Promise<void> {
    const store = this.db.transaction(STORE, 'readwrite').objectStore(STORE);
    await done(store.put({ ...value }, key));
  }
}

let cache: Promise<SweepCache> | null = null;

export function sweepCache(): Promise<SweepCache> {
  cache ??=
    typeof indexedDB === 'undefined'
      ? Promise.resolve(new MemorySweepCache())
      : openDb().then(
          (db) => new IdbSweepCache(db),
          () => new MemorySweepCache(),
        );
  return cache;
}
