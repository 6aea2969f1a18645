// A small key-value store in its own IndexedDB database, for what the page keeps across reloads
// besides compressed models (modelStore.ts): sample predictions, sensitivity tables. Every call
// rejects when the browser offers no IndexedDB (private mode, a full disk); callers say so or
// carry on with this session's copy.

export interface KeyValueStore<T> {
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every entry, in key order. */
  entries(): Promise<[string, T][]>;
}

const STORE = 'entries';

function requestDone<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function idbKeyValue<T>(dbName: string): KeyValueStore<T> {
  let db: Promise<IDBDatabase> | null = null;
  const open = (): Promise<IDBDatabase> => {
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === 'undefined') {
        reject(new Error('this browser offers no IndexedDB'));
        return;
      }
      const request = indexedDB.open(dbName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    // A failed open is tried again next time (the user may free space or leave private mode).
    db.catch(() => {
      db = null;
    });
    return db;
  };
  const store = async (mode: IDBTransactionMode) =>
    (await open()).transaction(STORE, mode).objectStore(STORE);
  return {
    async get(key) {
      return (await requestDone((await store('readonly')).get(key))) as T | undefined;
    },
    async put(key, value) {
      await requestDone((await store('readwrite')).put(value, key));
    },
    async delete(key) {
      await requestDone((await store('readwrite')).delete(key));
    },
    async entries() {
      const s = await store('readonly');
      const [keys, values] = await Promise.all([
        requestDone(s.getAllKeys()),
        requestDone(s.getAll()),
      ]);
      return keys.map((k, i) => [String(k), values[i] as T]);
    },
  };
}
