import { describe, expect, it } from 'vitest';
import {
  type CostLayer,
  computeCosts,
  factorizedMacs,
  type LayerChoice,
  rankForRate,
  tensorStorageBytes,
} from '../../src/core/cost/costModel.ts';

// ResNet-20 (CIFAR-10) written out by hand from the architecture, not read from the model, so
// the expected numbers below are independent of the ONNX layer discovery.
function conv(name: string, cin: number, cout: number, hin: number, stride: number): CostLayer {
  const hout = hin / stride;
  return {
    name,
    op: 'Conv',
    weightShape: [cout, cin, 3, 3],
    inputShape: [1, cin, hin, hin],
    outputShape: [1, cout, hout, hout],
    macs: cout * cin * 9 * hout * hout,
    group: 1,
  };
}

function resnet20(): CostLayer[] {
  const layers = [conv('stem', 3, 16, 32, 1)];
  const stages = [
    [16, 16, 32],
    [16, 32, 32],
    [32, 64, 16],
  ];
  stages.forEach(([cin, cout, hin], s) => {
    for (let i = 0; i < 6; i++) {
      const first = i === 0;
      const stride = first && s > 0 ? 2 : 1;
      const h = first ? hin : hin / (s > 0 ? 2 : 1);
      layers.push(conv(`s${s + 1}c${i}`, first ? cin : cout, cout, h, stride));
    }
  });
  layers.push({
    name: 'fc',
    op: 'Gemm',
    weightShape: [10, 64],
    inputShape: [1, 64],
    outputShape: [1, 10],
    macs: 640,
  });
  return layers;
}

const FLOAT_MACS = 40_551_040;

function blockChoices(layers: CostLayer[], rate: number, bits: number) {
  const choices: Record<string, LayerChoice> = {};
  for (const l of layers.slice(1, 19))
    choices[l.name] = { method: 'admm', rank: rankForRate(l, rate), bits };
  return choices;
}

describe('cost model on ResNet-20', () => {
  const layers = resnet20();

  it('the float model has 40,551,040 MACs and 100 % BOPs', () => {
    const { totals } = computeCosts(layers, {});
    expect(totals.floatMacs).toBe(FLOAT_MACS);
    expect(totals.macs).toBe(FLOAT_MACS);
    expect(totals.bops).toBe(FLOAT_MACS * 1024);
    expect(totals.bopPercent).toBe(100);
    expect(totals.params).toBe(16 * 3 * 9 + 6 * 2304 + 4608 + 5 * 9216 + 18432 + 5 * 36864 + 640);
  });

  it('ranks at rate 2 follow floor(IJK / ((I+J+K) rate))', () => {
    expect(layers.slice(1, 19).map((l) => rankForRate(l, 2))).toEqual([
      28, 28, 28, 28, 28, 28, 40, 63, 63, 63, 63, 63, 87, 134, 134, 134, 134, 134,
    ]);
    expect(rankForRate(layers[19], 2)).toBe(Math.floor(640 / (74 * 2)));
  });

  it('factorized MACs: stride 1 is R(Cin + kh kw + Cout) Hout Wout', () => {
    expect(factorizedMacs(layers[1], 28)).toBe(28 * (16 + 9 + 16) * 32 * 32);
    expect(factorizedMacs(layers[8], 63)).toBe(63 * (32 + 9 + 32) * 16 * 16);
  });

  it('factorized MACs: stride 2 runs the first 1x1 at the input resolution', () => {
    // 16 -> 32, 32x32 -> 16x16, R = 40
    expect(layers[7].outputShape).toEqual([1, 32, 16, 16]);
    expect(factorizedMacs(layers[7], 40)).toBe(
      40 * 16 * 32 * 32 + 40 * 9 * 16 * 16 + 40 * 32 * 16 * 16,
    );
    expect(factorizedMacs(layers[7], 40)).toBe(1_075_200);
  });

  it('rate 2, 4-bit blocks, 8-bit others and activations: BOP% by hand', () => {
    const { totals, layers: costs } = computeCosts(layers, blockChoices(layers, 2, 4), {
      actBits: 8,
    });
    expect(totals.floatMacs).toBe(FLOAT_MACS);
    expect(totals.macs).toBe(21_008_960 + 442_368 + 640);
    expect(totals.bops).toBe(21_008_960 * 4 * 8 + (442_368 + 640) * 8 * 8);
    expect(totals.bops).toBe(700_639_232);
    expect(totals.bopPercent).toBeCloseTo(1.6873007449, 8);
    expect(costs[0].weightBits).toBe(8); // stem at the published 8 bits by default
    expect(costs[19].weightBits).toBe(8);
    expect(totals.params).toBe(133_088 + 1072);
    expect(totals.idealWeightBytes).toBe((133_088 * 4 + 1072 * 8) / 8);
  });

  it('float activations count 32 bits; otherWeightBits 32 keeps other layers float', () => {
    const { totals } = computeCosts(layers, blockChoices(layers, 2, 4), { otherWeightBits: 32 });
    expect(totals.bops).toBe(21_008_960 * 4 * 32 + 443_008 * 32 * 32);
  });

  it('float CP counts 32-bit weights and no other-layer quantization', () => {
    const choices: Record<string, LayerChoice> = { s1c0: { method: 'cp', rank: 28 } };
    const { layers: costs, totals } = computeCosts(layers, choices);
    expect(costs[1].weightBits).toBe(32);
    expect(costs[0].weightBits).toBe(32);
    expect(totals.macs).toBe(FLOAT_MACS - 2_359_296 + 1_175_552);
  });

  it('ptq keeps the dense MACs at its own bits', () => {
    const choices: Record<string, LayerChoice> = { stem: { method: 'ptq', bits: 4 } };
    const { layers: costs } = computeCosts(layers, choices, { actBits: 8 });
    expect(costs[0].macs).toBe(442_368);
    expect(costs[0].bops).toBe(442_368 * 4 * 8);
    expect(costs[1].weightBits).toBe(8);
  });

  it('actual bytes come from the written file when given', () => {
    const { totals } = computeCosts(layers, {}, { actualBytes: new Map([['stem', 10]]) });
    expect(totals.actualBytes).toBeNaN();
    const all = Object.fromEntries(layers.map((l) => [l.name, 2]));
    expect(computeCosts(layers, {}, { actualBytes: all }).totals.actualBytes).toBe(40);
  });
});

describe('2-way layers', () => {
  it('Gemm factorized MACs are (I + J) R per output row', () => {
    const gemm: CostLayer = {
      name: 'g',
      op: 'MatMul',
      weightShape: [64, 10],
      inputShape: [1, 7, 64],
      outputShape: [1, 7, 10],
      macs: 640 * 7,
    };
    expect(factorizedMacs(gemm, 3)).toBe((64 + 10) * 3 * 7);
  });
});

describe('tensorStorageBytes', () => {
  it('packs INT4 two a byte, rounding up', () => {
    expect(tensorStorageBytes(22, 7)).toBe(4);
    expect(tensorStorageBytes(22, 8)).toBe(4);
    expect(tensorStorageBytes(3, 7)).toBe(7);
    expect(tensorStorageBytes(1, 7)).toBe(28);
  });
});

describe('unknown sizes', () => {
  it('BOP % is unknown (NaN), never 0 %, when a layer has symbolic sizes', () => {
    const layer = { name: 'c', op: 'Conv', weightShape: [8, 8, 3, 3], macs: null };
    const costs = computeCosts([layer], { c: { method: 'ptq', bits: 4 } });
    expect(costs.totals.bopPercent).toBeNaN();
  });
});
