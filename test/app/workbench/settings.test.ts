import { describe, expect, it } from 'vitest';
import {
  chosenLayers,
  compressedFileName,
  costChoices,
  DEFAULT_SETTINGS,
  jobSettings,
} from '../../../src/app/workbench/settings.ts';
import { computeCosts } from '../../../src/core/cost/costModel.ts';
import type { LayerInfo } from '../../../src/core/onnx/index.ts';

function conv(name: string, cout: number, cin: number, factorizable = true): LayerInfo {
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
    factorizable,
    reason: factorizable ? '' : 'too small',
  };
}

const layers = [conv('stem', 16, 3, false), conv('a', 16, 16), conv('b', 32, 16)];

describe('workbench settings', () => {
  it('names files after method, rate, bits, activations and calibration', () => {
    const s = { ...DEFAULT_SETTINGS, method: 'admm' as const, rate: 2, bits: 4 };
    expect(compressedFileName('resnet20_cifar10.onnx', s, false)).toBe(
      'resnet20_qaf-admm_r2_w4.onnx',
    );
    expect(compressedFileName('net.onnx', { ...s, actBits: 8 }, true, 'report.json')).toBe(
      'net_qaf-admm_r2_w4_a8_cal.report.json',
    );
    expect(compressedFileName('net.onnx', { ...s, method: 'ptq-channel' }, false)).toBe(
      'net_ptq-pc_w4.onnx',
    );
    expect(
      compressedFileName('net.onnx', { ...s, method: 'cp', sizeBy: 'rank', rank: 8 }, false),
    ).toBe('net_cp-float_k8.onnx');
  });

  it('CP methods take the factorizable layers, PTQ every weight layer, or the picked ones', () => {
    expect(chosenLayers(layers, DEFAULT_SETTINGS).map((l) => l.name)).toEqual(['a', 'b']);
    const ptq = { ...DEFAULT_SETTINGS, method: 'ptq-tensor' as const };
    expect(chosenLayers(layers, ptq).map((l) => l.name)).toEqual(['stem', 'a', 'b']);
    const picked = {
      ...DEFAULT_SETTINGS,
      layerMode: 'selected' as const,
      selectedLayers: ['b', 'stem'],
    };
    expect(chosenLayers(layers, picked).map((l) => l.name)).toEqual(['b']);
  });

  it('job settings carry rate or rank, and per-channel only for PTQ per-channel', () => {
    expect(jobSettings(DEFAULT_SETTINGS)).toEqual({
      method: 'admm',
      rate: 2,
      bits: 4,
      preset: 'default',
      seed: 0,
      perChannel: false,
    });
    const ptq = jobSettings({ ...DEFAULT_SETTINGS, method: 'ptq-channel', sizeBy: 'rank' });
    expect(ptq).toMatchObject({ method: 'ptq', perChannel: true });
    expect(ptq.rank).toBeUndefined();
    expect(jobSettings({ ...DEFAULT_SETTINGS, sizeBy: 'rank', rank: 5 }).rank).toBe(5);
  });

  it('cost choices give the engine ranks: BOP % falls with the rate and the bits', () => {
    const bop = (rate: number, bits: number) => {
      const s = { ...DEFAULT_SETTINGS, rate, bits };
      const { choices } = costChoices(layers, s);
      return computeCosts(layers, choices, { otherWeightBits: 8 }).totals.bopPercent;
    };
    // Layer a: 16*16*9 / ((16+16+9) * 2) -> rank 28, as the engine's rank rule gives.
    expect(costChoices(layers, DEFAULT_SETTINGS).choices.get('a')).toEqual({
      method: 'admm',
      rank: 28,
      bits: 4,
    });
    expect(bop(3, 4)).toBeLessThan(bop(2, 4));
    expect(bop(2, 2)).toBeLessThan(bop(2, 4));
  });

  it("a rate that leaves a layer no rank is the engine's error, not a clamped preview", () => {
    const { choices, rankErrors } = costChoices(layers, { ...DEFAULT_SETTINGS, rate: 1000 });
    expect(choices.size).toBe(0);
    expect(rankErrors[0].reason).toMatch(/leaves rank 0 < 1/);
    const below = costChoices(layers, { ...DEFAULT_SETTINGS, rate: 0.5 });
    expect(below.rankErrors[0].reason).toMatch(/at least 1/);
  });
});
