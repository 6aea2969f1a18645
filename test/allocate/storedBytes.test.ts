// A size budget counts the weights as the file stores them (issue #15): codes in INT4/INT8
// containers plus float scales. On the tiny residual model, per-layer bit widths that ONNX has no
// type for (3, 5, 6) must be predicted to the byte: the written layer's initializers are the
// cost model's stored codes + scales + the float bias, while the ideal bytes fall short.
import { describe, expect, it } from 'vitest';
import { optionCost } from '../../src/core/allocate/options.ts';
import { containerBits, layerCost } from '../../src/core/cost/costModel.ts';
import type { Allocation } from '../../src/core/factor/modelJobs.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { compressModel } from '../../src/core/pipeline/compressModel.ts';
import { prepareModel } from '../../src/core/pipeline/prepare.ts';
import { residualModelBytes } from './fixtures.ts';

describe('stored weight bytes', () => {
  it('puts 2-4-bit codes in 4-bit containers, 5-8 in 8-bit ones, float in 32', () => {
    expect([2, 3, 4, 5, 6, 7, 8, 32].map(containerBits)).toEqual([4, 4, 4, 8, 8, 8, 8, 32]);
  });

  it('predicts the bytes each written layer takes, where the ideal bytes do not', async () => {
    const prepared = await prepareModel(residualModelBytes());
    const allocation: Allocation = {
      settings: { method: 'admm', rate: 2, bits: 3, preset: 'default', seed: 0 },
      selection: { names: ['conv1', 'conv2'] },
      overrides: { conv2: { method: 'ptq', bits: 5 } },
    };
    // The stem and fc stay uncompressed, at 6 bits (per-channel INT8 codes).
    const built = await compressModel({
      prepared,
      kernels: await loadKernels(),
      allocation,
      output: { otherWeightBits: 6 },
    });
    expect(built.report.notes.join('\n')).toMatch(/5, 6-bit codes are stored in 8-bit \(INT8\)/);
    let ideal = 0;
    for (const layer of built.report.layers) {
      const info = prepared.rewriteLayers.find((l) => l.name === layer.name)!;
      const choice =
        layer.method === 'none'
          ? { method: 'none' as const }
          : { method: layer.method, rank: layer.rank, bits: layer.bits };
      const cost = layerCost(info, choice, built.report.otherWeightBits, 32);
      const biasBytes = 4 * info.weightShape[0];
      expect(layer.bytes, layer.name).toBe(cost.storedWeightBytes + cost.scaleBytes + biasBytes);
      ideal += cost.idealWeightBytes + cost.scaleBytes + biasBytes;
      if (layer.method !== 'none') {
        // What the sensitivity table records for the option, and a size budget counts.
        const option =
          layer.method === 'ptq'
            ? { method: 'ptq' as const, bits: layer.bits }
            : { method: 'admm' as const, rank: layer.rank, bits: layer.bits };
        const stored = optionCost(info, option, layer.rank, 6, 32).storedBytes;
        expect(stored + biasBytes, layer.name).toBe(layer.bytes);
      }
    }
    const written = built.report.layers.reduce((s, l) => s + l.bytes, 0);
    expect(ideal).toBeLessThan(written);
  });
});
