// The cost model's scaleBytes: the float32 DequantizeLinear scales each choice writes.
import { describe, expect, it } from 'vitest';
import { type CostLayer, computeCosts, layerCost } from '../../src/core/cost/costModel.ts';

const conv: CostLayer = {
  name: 'c',
  op: 'Conv',
  weightShape: [32, 16, 3, 3],
  inputShape: [1, 16, 8, 8],
  outputShape: [1, 32, 8, 8],
  macs: 32 * 16 * 9 * 64,
};
const gemm: CostLayer = {
  name: 'g',
  op: 'Gemm',
  weightShape: [10, 64],
  outputShape: [1, 10],
  macs: 640,
};

describe('scaleBytes', () => {
  it('counts one scale per factor, or one per component plus a per-tensor 1 per other factor', () => {
    const at = (choice: Parameters<typeof layerCost>[1], layer = conv) =>
      layerCost(layer, choice, 8, 32).scaleBytes;
    // Without scales, QAF's default: per component.
    expect(at({ method: 'admm', rank: 20, bits: 4 })).toBe((20 + 2) * 4);
    expect(at({ method: 'admm', rank: 20, bits: 4, scales: 'factor' })).toBe(3 * 4);
    expect(at({ method: 'admm', rank: 20, bits: 4, scales: 'component' })).toBe((20 + 2) * 4);
    expect(at({ method: 'admm', rank: 5, bits: 4, scales: 'component' }, gemm)).toBe((5 + 1) * 4);
    expect(at({ method: 'ftq', rank: 20, bits: 4 })).toBe(3 * 4);
    expect(at({ method: 'ptq', bits: 4 })).toBe(4);
    expect(at({ method: 'ptq', bits: 4, perChannel: true })).toBe(32 * 4);
    expect(at({ method: 'cp', rank: 20 })).toBe(0);
    expect(at({ method: 'none' })).toBe(32 * 4); // left alone at 8 bits: per output channel
    expect(layerCost(conv, { method: 'none' }, 32, 32).scaleBytes).toBe(0);
  });

  it('does not change BOPs or the ideal weight bytes, and sums into the totals', () => {
    const factor = layerCost(conv, { method: 'admm', rank: 20, bits: 4, scales: 'factor' }, 8, 32);
    const component = layerCost(
      conv,
      { method: 'admm', rank: 20, bits: 4, scales: 'component' },
      8,
      32,
    );
    expect(component.bops).toBe(factor.bops);
    expect(component.idealWeightBytes).toBe(factor.idealWeightBytes);
    const totals = computeCosts([conv, gemm], {
      c: { method: 'admm', rank: 20, bits: 4, scales: 'component' },
      g: { method: 'admm', rank: 5, bits: 4, scales: 'factor' },
    }).totals;
    expect(totals.scaleBytes).toBe((20 + 2) * 4 + 2 * 4);
  });
});
