// The page's store of sensitivity measurements (issue #15): bounded, least recently used out
// first (a measurement read again is used again), a Clear that empties it, and a store that
// fails says so instead of losing measurements silently.
import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../../src/app/workbench/idbKeyValue.ts';
import {
  BoundedSensitivityStore,
  type StoredMeasurement,
  useStoredSensitivity,
} from '../../../src/app/workbench/sensitivityStore.ts';
import type { OptionSensitivity } from '../../../src/core/allocate/table.ts';

function memoryStore(): KeyValueStore<StoredMeasurement> & { map: Map<string, StoredMeasurement> } {
  const map = new Map<string, StoredMeasurement>();
  return {
    map,
    async get(key) {
      return map.get(key);
    },
    async put(key, value) {
      map.set(key, value);
    },
    async delete(key) {
      map.delete(key);
    },
    async entries() {
      return [...map].sort(([a], [b]) => (a < b ? -1 : 1));
    },
  };
}

const value = (id: string): OptionSensitivity => ({
  id,
  option: 'keep',
  rank: 0,
  bops: 1,
  weightBytes: 1,
  weightError: 0,
  outputError: 0,
  scoreError: 0,
  kl: 0,
  agreement: 1,
});
const info = (layer: string) => ({ modelSha256: 'm', dataSha256: 'd', layer, option: 'keep' });

/** A store whose bound holds about three measurements, on a clock the test moves. */
function bounded() {
  const kv = memoryStore();
  let clock = 0;
  const tick = () => ++clock;
  const store = new BoundedSensitivityStore(kv, () => 3.5 * recordSize(), tick);
  return { kv, store };
}

function recordSize(): number {
  const record = { ...info('layer0'), value: value('keep'), savedAt: 10, usedAt: 10 };
  return 'k0'.length + JSON.stringify(record).length;
}

describe('the page store of sensitivity measurements', () => {
  it('drops the least recently used past its bound, and a measurement read again is kept', async () => {
    const { kv, store } = bounded();
    for (const k of ['k0', 'k1', 'k2']) await store.set(k, value('keep'), info(`layer${k[1]}`));
    expect([...kv.map.keys()]).toEqual(['k0', 'k1', 'k2']);
    // A fresh page (a reload) reads k0 from the store: it becomes the most recently used.
    const reloaded = new BoundedSensitivityStore(
      kv,
      () => 3.5 * recordSize(),
      () => 100,
    );
    expect(await reloaded.get('k0')).toEqual(value('keep'));
    await reloaded.set('k3', value('keep'), info('layer3'));
    expect([...kv.map.keys()].sort()).toEqual(['k0', 'k2', 'k3']);
    expect(useStoredSensitivity.getState()).toMatchObject({ count: 3, error: null });
  });

  it('keeps this session only what is larger than the whole bound', async () => {
    const kv = memoryStore();
    const store = new BoundedSensitivityStore(kv, () => 10);
    await store.set('big', value('keep'), info('layer'));
    expect(kv.map.size).toBe(0);
    expect(await store.get('big')).toEqual(value('keep'));
  });

  it('clears every measurement, stored and in memory', async () => {
    const { kv, store } = bounded();
    await store.set('k0', value('keep'), info('layer0'));
    await store.set('k1', value('keep'), info('layer1'));
    await store.clear();
    expect(kv.map.size).toBe(0);
    expect(await store.get('k0')).toBeUndefined();
    expect(useStoredSensitivity.getState()).toMatchObject({ count: 0, bytes: 0, error: null });
  });

  it('says when the browser keeps nothing', async () => {
    const kv = memoryStore();
    kv.entries = () => Promise.reject(new Error('this browser offers no IndexedDB'));
    const store = new BoundedSensitivityStore(kv, () => 1e6);
    await store.set('k0', value('keep'), info('layer0'));
    expect(await store.get('k0')).toEqual(value('keep'));
    expect(useStoredSensitivity.getState().error).toBe(
      'Measurements are kept for this session only (this browser offers no IndexedDB).',
    );
  });
});
