// `qaf compress`: option checking and the exact --json shape, on two real layers.
import { describe, expect, it } from 'vitest';
import {
  compressJson,
  compressModelLayers,
  compressSettings,
  compressTable,
} from '../../src/cli/compress.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { prepareModel } from '../../src/core/pipeline/index.ts';
import { describeShared, readShared } from '../support/shared.ts';

describe('compressSettings', () => {
  it('accepts a rate or a rank, never both or neither (ptq needs neither)', () => {
    expect(compressSettings({ method: 'admm', rate: '2', bits: '4' })).toMatchObject({
      method: 'admm',
      rate: 2,
      bits: 4,
      preset: 'default',
    });
    expect(compressSettings({ method: 'cp', rank: '12', bits: '8', seed: '3' })).toMatchObject({
      rank: 12,
      seed: 3,
    });
    expect(compressSettings({ method: 'ptq', bits: '4', 'per-channel': true }).perChannel).toBe(
      true,
    );
    expect(() => compressSettings({ method: 'admm', rate: '2', rank: '3', bits: '4' })).toThrow(
      /exactly one of --rate/,
    );
    expect(() => compressSettings({ method: 'ftq', bits: '4' })).toThrow(/exactly one/);
  });

  it('rejects unknown methods and presets and non-numbers', () => {
    expect(() => compressSettings({ method: 'svd', rate: '2', bits: '4' })).toThrow(/--method/);
    expect(() => compressSettings({ method: 'admm', rate: '2', bits: '4', preset: 'x' })).toThrow(
      /--preset/,
    );
    expect(() => compressSettings({ method: 'admm', rate: 'two', bits: '4' })).toThrow(/--rate/);
    expect(() => compressSettings({ method: 'admm', rank: '2.5', bits: '4' })).toThrow(/--rank/);
    expect(() => compressSettings({ method: 'admm', rate: '2' })).toThrow(/--bits is required/);
  });
});

describeShared('qaf compress on ResNet-20', () => {
  it('--json prints exactly one object with per-layer results and totals', async () => {
    const kernels = await loadKernels();
    const prepared = await prepareModel(readShared('models/resnet20_cifar10.onnx'));
    const settings = compressSettings({ method: 'admm', rate: '2', bits: '4' });
    const report = await compressModelLayers(kernels, prepared, {
      settings,
      selection: { layers: /layer1\.0\/conv/ },
    });
    const json = JSON.parse(compressJson(report));
    expect(Object.keys(json)).toEqual(['layers', 'totals']);
    expect(json.layers).toHaveLength(2);
    for (const layer of json.layers) {
      expect(Object.keys(layer)).toEqual([
        'name',
        'method',
        'rank',
        'bits',
        'floatCpError',
        'error',
        'iterations',
        'ms',
      ]);
      expect(layer).toMatchObject({ method: 'admm', rank: 28, bits: 4 });
      expect(layer.error).toBeGreaterThan(0);
      expect(layer.error).toBeLessThan(0.5);
    }
    expect(json.totals.meanError).toBeCloseTo(
      (json.layers[0].error + json.layers[1].error) / 2,
      12,
    );
    expect(compressTable(report)).toMatch(/2 layers, mean relative error 0\.\d{4}/);
  });

  it('selects every weight layer for ptq (stem and classifier included)', async () => {
    const kernels = await loadKernels();
    const prepared = await prepareModel(readShared('models/resnet20_cifar10.onnx'));
    const settings = compressSettings({ method: 'ptq', bits: '8' });
    const report = await compressModelLayers(kernels, prepared, { settings });
    expect(report.layers).toHaveLength(20);
    expect(report.totals.meanError).toBeLessThan(0.02);
  });
});
