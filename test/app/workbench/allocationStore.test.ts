// Per-layer overrides belong to the model they were made for (by SHA-256): another model with
// the same layer names starts from the global settings; the same model again keeps them.
import { describe, expect, it } from 'vitest';
import { keepLayer } from '../../../src/app/workbench/allocationStore.ts';
import { useOpenModelHash } from '../../../src/app/workbench/modelHistory.ts';
import { useWorkbench } from '../../../src/app/workbench/store.ts';

const open = (sha256: string) => {
  useOpenModelHash.setState({ modelId: sha256, sha256: null });
  useOpenModelHash.setState({ modelId: sha256, sha256 });
};
const overrides = () => useWorkbench.getState().settings.overrides ?? {};

describe('overrides and the open model', () => {
  it('are kept for the same model and dropped for another with the same layer names', () => {
    open('a'.repeat(64));
    keepLayer('layer1.0.conv1', true);
    expect(useWorkbench.getState().settings.overridesModel).toBe('a'.repeat(64));
    open('a'.repeat(64));
    expect(overrides()).toEqual({ 'layer1.0.conv1': 'keep' });
    open('b'.repeat(64));
    expect(overrides()).toEqual({});
    keepLayer('layer1.0.conv2', true);
    expect(useWorkbench.getState().settings.overridesModel).toBe('b'.repeat(64));
  });

  it('saved before the hash was kept, are adopted by the next model opened', () => {
    useWorkbench.setState((s) => ({
      settings: { ...s.settings, overrides: { conv1: 'keep' }, overridesModel: undefined },
    }));
    open('c'.repeat(64));
    expect(overrides()).toEqual({ conv1: 'keep' });
    expect(useWorkbench.getState().settings.overridesModel).toBe('c'.repeat(64));
  });
});
