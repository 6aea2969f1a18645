// Per-layer overrides in the app (issue #15, item 3): the cost model and the run's allocation
// see each layer's own rate or rank and bits, and a kept layer is left like the other layers.
import { describe, expect, it } from 'vitest';
import {
  activeOverrides,
  isAllocated,
  methodText,
  runAllocation,
  tableRunSettings,
} from '../../../src/app/workbench/allocation.ts';
import { settingsConfig } from '../../../src/app/workbench/chartData.ts';
import { sameConfig } from '../../../src/app/workbench/currentPoint.ts';
import {
  compressedFileName,
  costChoices,
  DEFAULT_SETTINGS,
  layerJobSettings,
} from '../../../src/app/workbench/settings.ts';
import type { LayerInfo } from '../../../src/core/onnx/index.ts';

function conv(name: string, cout: number, cin: number): LayerInfo {
  return {
    name,
    nodeIndex: 0,
    op: 'Conv',
    weightName: `${name}.w`,
    weightShape: [cout, cin, 3, 3],
    params: cout * cin * 9,
    inputShape: [1, cin, 8, 8],
    outputShape: [1, cout, 8, 8],
    macs: cout * cin * 9 * 64,
    group: 1,
    kernel: [3, 3],
    strides: [1, 1],
    pads: [1, 1, 1, 1],
    dilations: [1, 1],
    factorizable: true,
    reason: '',
  };
}

const layers = [conv('a', 16, 16), conv('b', 32, 16), conv('c', 32, 32)];
const global = { ...DEFAULT_SETTINGS, rate: 2, bits: 4 };
const allocated = {
  ...global,
  overrides: { a: 'keep', b: { rank: 5, bits: 6 }, c: { bits: 8 }, gone: 'keep' } as const,
};

describe('per-layer overrides', () => {
  it('give each layer its own settings; keep leaves it out of the jobs and the choices', () => {
    expect(layerJobSettings(allocated, 'a')).toBeNull();
    expect(layerJobSettings(allocated, 'b')).toMatchObject({ rank: 5, rate: undefined, bits: 6 });
    expect(layerJobSettings(allocated, 'c')).toMatchObject({ rate: 2, bits: 8 });
    const { choices, rankErrors } = costChoices(layers, allocated);
    expect(rankErrors).toEqual([]);
    expect(choices.has('a')).toBe(false);
    expect(choices.get('b')).toEqual({ method: 'admm', rank: 5, bits: 6 });
    expect(choices.get('c')?.bits).toBe(8);
  });

  it('become the pipeline allocation: names, keep and explicit overrides', () => {
    expect(runAllocation(layers, allocated)).toEqual({
      settings: expect.objectContaining({ method: 'admm', rate: 2, bits: 4 }),
      selection: { names: ['a', 'b', 'c'] },
      overrides: {
        a: 'keep',
        b: { rate: undefined, rank: 5, bits: 6 },
        c: { rate: 2, rank: undefined, bits: 8 },
      },
    });
    expect(runAllocation(layers, global).overrides).toBeUndefined();
  });

  it('are named in rows and files; overrides for layers the model lacks do not count', () => {
    expect(Object.keys(activeOverrides(layers, allocated))).toEqual(['a', 'b', 'c']);
    expect(isAllocated(allocated)).toBe(true);
    expect(isAllocated(global)).toBe(false);
    expect(methodText(allocated)).toBe('QAF (ADMM), allocated');
    expect(compressedFileName('net.onnx', allocated, false)).toBe('net_qaf-admm_r2_w4_alloc.onnx');
  });

  it('make a configuration of their own on the charts (no twin, no estimate from uniform points)', () => {
    const uniform = settingsConfig(global, true);
    expect(sameConfig(settingsConfig(allocated, true), uniform)).toBe(false);
    expect(sameConfig(settingsConfig({ ...global, overrides: {} }, true), uniform)).toBe(true);
  });
});

describe("a budget-sweep run of the solver's choice", () => {
  const layers = [conv('a', 16, 16), conv('b', 16, 16), conv('c', 32, 16)];
  const table = { layers: [{ name: 'a' }, { name: 'c' }], actBits: 32, otherWeightBits: 8 };

  it("chooses exactly the table's layers, whatever the selection is now", () => {
    const base = { ...DEFAULT_SETTINGS, layerMode: 'selected' as const, selectedLayers: ['b'] };
    const settings = tableRunSettings(base, table as never, { c: 'keep' });
    if (typeof settings === 'string') throw new Error(settings);
    const allocation = runAllocation(layers, settings);
    expect(allocation.selection?.names).toEqual(['a', 'c']);
    expect(allocation.overrides).toEqual({ c: 'keep' });
  });

  it('says why when the panel no longer matches the costs the table assumed', () => {
    const base = { ...DEFAULT_SETTINGS, actBits: 8, otherBits: 8 };
    expect(tableRunSettings(base, table as never, {})).toMatch(
      /assume float activations and 8-bit other layers; the panel now says 8-bit activations/,
    );
  });
});
