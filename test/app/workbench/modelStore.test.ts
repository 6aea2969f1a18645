import { describe, expect, it } from 'vitest';
import { evictionsFor } from '../../../src/app/workbench/modelStore.ts';

describe('stored models: least recently used out first', () => {
  const entries = [
    { rowId: 'b', sizeBytes: 40, usedAt: 2 },
    { rowId: 'a', sizeBytes: 30, usedAt: 1 },
    { rowId: 'c', sizeBytes: 20, usedAt: 3 },
  ];

  it('drops nothing while the new model fits', () => {
    expect(evictionsFor(entries, 10, 100)).toEqual([]);
    expect(evictionsFor([], 100, 100)).toEqual([]);
  });

  it('drops the least recently used until it fits', () => {
    expect(evictionsFor(entries, 11, 100)).toEqual(['a']);
    expect(evictionsFor(entries, 50, 100)).toEqual(['a', 'b']);
    expect(evictionsFor(entries, 100, 100)).toEqual(['a', 'b', 'c']);
  });

  it('refuses a model larger than the bound on its own', () => {
    expect(evictionsFor(entries, 101, 100)).toBeNull();
  });
});
