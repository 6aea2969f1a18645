// Browser storage that cannot wedge the app: a fake localStorage with a small quota throws
// QuotaExceededError like a browser does; nothing above storage.ts may see it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MAX_STORED_CHARS,
  readJson,
  useStorageNotice,
  writeBounded,
  writeItem,
} from '../../src/app/storage.ts';
import { DEFAULT_SETTINGS } from '../../src/app/workbench/settings.ts';
import {
  clearStoredResults,
  type ResultRow,
  updateSettings,
  useWorkbench,
} from '../../src/app/workbench/store.ts';

/** localStorage with a quota in UTF-16 code units over keys and values, as browsers count. */
class FakeStorage implements Storage {
  readonly items = new Map<string, string>();
  writes = 0;
  constructor(readonly quotaChars: number) {}
  get length() {
    return this.items.size;
  }
  used(): number {
    let n = 0;
    for (const [k, v] of this.items) n += k.length + v.length;
    return n;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(i: number) {
    return [...this.items.keys()][i] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.writes++;
    const old = this.items.get(key);
    const after = this.used() - (old === undefined ? 0 : key.length + old.length);
    if (after + key.length + value.length > this.quotaChars) {
      throw new DOMException("Failed to execute 'setItem' on 'Storage'", 'QuotaExceededError');
    }
    this.items.set(key, value);
  }
}

const INITIAL_NOTICE = useStorageNotice.getState();

/** Drops the oldest rows worth `chars` characters of JSON (each costs its length + a comma). */
function shrink(rows: string[], chars: number): string[] | null {
  if (rows.length === 0) return null;
  let n = 0;
  for (let freed = 0; n < rows.length && freed < chars; n++) freed += rows[n].length + 3;
  return rows.slice(n);
}
const KEY = 'qaf-workbench';

function resultRow(i: number, nameLength: number): ResultRow {
  const layers = Array.from({ length: 20 }, (_, l) => ({
    name: `/model/${'very_long_module_name_'.repeat(nameLength / 22)}${i}/layer${l}/Conv`,
    rank: 8,
    error: 0.1,
  }));
  return {
    id: `r${i}`,
    createdAt: 1_000 + i,
    modelFileName: 'model.onnx',
    settings: DEFAULT_SETTINGS,
    layers,
    calibrated: false,
    meanError: 0.1,
    bopPercent: 7,
    params: 1000,
    sizeBytes: 1000,
    floatSizeBytes: 4000,
    evaluation: null,
    dataFileName: null,
  };
}

function storedResultIds(storage: FakeStorage): string[] {
  const stored = JSON.parse(storage.getItem(KEY) ?? '{}') as { state?: { results: ResultRow[] } };
  return (stored.state?.results ?? []).map((r) => r.id);
}

beforeEach(() => {
  // Without a localStorage (Node) this reset itself reports "unavailable": reset the notice after.
  useWorkbench.setState({ results: [], sweepRows: [], settings: DEFAULT_SETTINGS });
  useStorageNotice.setState(INITIAL_NOTICE, true);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('storage.ts', () => {
  it('turns QuotaExceededError into an outcome, and a refused localStorage too', () => {
    vi.stubGlobal('localStorage', new FakeStorage(10));
    expect(writeItem('k', 'a value longer than the quota')).toBe('quota');
    expect(writeItem('k', 'ok')).toBe('ok');
    expect(writeItem('k', 'x'.repeat(MAX_STORED_CHARS + 1))).toBe('too-large');
    vi.stubGlobal('localStorage', {
      setItem() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
      getItem() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    expect(writeItem('k', 'v')).toBe('unavailable');
    expect(readJson('k')).toBeNull();
  });

  it('shrinks a value oldest first until it fits, and reports it once', () => {
    const storage = new FakeStorage(200);
    vi.stubGlobal('localStorage', storage);
    const rows = Array.from({ length: 30 }, (_, i) => `row-${i}`);
    expect(writeBounded({ key: 'a', value: rows, shrink })).toBe('quota');
    const kept = readJson<string[]>('a') ?? [];
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.at(-1)).toBe('row-29');
    expect(kept[0]).toBe(`row-${30 - kept.length}`);
    const notice = useStorageNotice.getState();
    expect(notice.message).toMatch(/full: the oldest results were not saved/);
    expect(notice.canClear).toBe(true);

    // Dismissed, it stays quiet; the next write aims below what fit, without a refused write.
    useStorageNotice.setState({ message: null });
    const writes = storage.writes;
    expect(writeBounded({ key: 'a', value: rows, shrink })).toBe('quota');
    expect(storage.writes).toBe(writes + 1);
    expect(readJson<string[]>('a')).toEqual(kept);
    expect(useStorageNotice.getState().message).toBeNull();
  });

  it('keeps each key under its bound even when the quota is larger', () => {
    vi.stubGlobal('localStorage', new FakeStorage(1_000_000));
    const rows = Array.from({ length: 100 }, (_, i) => `row-${i}`);
    expect(writeBounded({ key: 'b', value: rows, shrink, maxChars: 300 })).toBe('too-large');
    expect(JSON.stringify(readJson('b')).length).toBeLessThanOrEqual(300);
    expect(JSON.stringify(readJson('b')).length).toBeGreaterThan(280);
    expect(useStorageNotice.getState().message).toMatch(/reached their limit/);
  });

  it('says when nothing fits at all', () => {
    vi.stubGlobal('localStorage', new FakeStorage(5));
    expect(writeBounded({ key: 'c', value: ['a', 'b'], shrink: () => null })).toBe('quota');
    expect(useStorageNotice.getState().message).toMatch(/no longer saved/);
  });
});

describe('the workbench store over a full localStorage', () => {
  it('a model with long names: settings changes never throw, oldest results go first', () => {
    // Another key already holds most of the quota; what is left fits a few results only.
    const storage = new FakeStorage(400_000);
    storage.setItem('someone-else', 'x'.repeat(300_000));
    vi.stubGlobal('localStorage', storage);

    const rows = Array.from({ length: 40 }, (_, i) => resultRow(i, 400));
    expect(JSON.stringify(rows).length).toBeGreaterThan(300_000);
    expect(() => useWorkbench.setState({ results: rows })).not.toThrow();
    for (const rate of [1.5, 2, 3, 4, 2.5]) {
      const writes = storage.writes;
      expect(() => updateSettings({ rate })).not.toThrow();
      // Once the quota is known, a change costs one write, not a refused one per dropped row.
      expect(storage.writes - writes).toBe(1);
    }

    // Everything in memory; in storage the newest results and the latest settings.
    expect(useWorkbench.getState().results).toHaveLength(40);
    const ids = storedResultIds(storage);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(40);
    expect(ids.at(-1)).toBe('r39');
    expect(ids).toEqual(rows.slice(40 - ids.length).map((r) => r.id));
    const stored = readJson<{ state: { settings: { rate: number } } }>(KEY);
    expect(stored?.state.settings.rate).toBe(2.5);
    expect(storage.used()).toBeLessThanOrEqual(400_000);

    // Reported once, with a way out.
    const notice = useStorageNotice.getState();
    expect(notice.message).toMatch(/Browser storage is full/);
    expect(notice.canClear).toBe(true);
    useStorageNotice.setState({ message: null });
    updateSettings({ rate: 3 });
    expect(useStorageNotice.getState().message).toBeNull();

    clearStoredResults();
    expect(useWorkbench.getState().results).toEqual([]);
    expect(storedResultIds(storage)).toEqual([]);
    expect(readJson<{ state: { settings: { rate: number } } }>(KEY)?.state.settings.rate).toBe(3);
  });

  it('storage disabled by the browser: the app keeps working, says so once, offers no clear', () => {
    vi.stubGlobal('localStorage', undefined);
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('Access is denied for this document.', 'SecurityError');
      },
    });
    try {
      expect(() => updateSettings({ bits: 3 })).not.toThrow();
      expect(useWorkbench.getState().settings.bits).toBe(3);
      expect(useStorageNotice.getState()).toMatchObject({
        message: expect.stringMatching(/unavailable/),
        canClear: false,
      });
    } finally {
      Reflect.deleteProperty(globalThis, 'localStorage');
    }
  });

  it('a stored value that is not JSON is ignored on load', async () => {
    const storage = new FakeStorage(100_000);
    storage.setItem(KEY, '{"state": {"results": [');
    vi.stubGlobal('localStorage', storage);
    await useWorkbench.persist.rehydrate();
    expect(useWorkbench.getState().settings).toEqual(DEFAULT_SETTINGS);
  });
});
