import { describe, expect, it } from 'vitest';
import { sortLayersBy, useAppStore } from '../../src/app/store.ts';

describe('layer sort state', () => {
  it('starts numbers largest first, text A to Z, and flips on a second click', () => {
    sortLayersBy('macs');
    expect(useAppStore.getState().layerSort).toEqual({ key: 'macs', descending: true });
    sortLayersBy('macs');
    expect(useAppStore.getState().layerSort).toEqual({ key: 'macs', descending: false });
    sortLayersBy('op');
    expect(useAppStore.getState().layerSort).toEqual({ key: 'op', descending: false });
  });
});
