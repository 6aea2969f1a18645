import { describe, expect, it } from 'vitest';
import type { ModelOverview } from '../../../src/app/bridge/modelTypes.ts';
import { type ChartPoint, chartModel } from '../../../src/app/workbench/chartData.ts';
import { currentPoint, settingsCosts } from '../../../src/app/workbench/currentPoint.ts';
import { type CompressSettings, DEFAULT_SETTINGS } from '../../../src/app/workbench/settings.ts';
import type { StoredSweepRow } from '../../../src/app/workbench/store.ts';
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

const layers = [
  conv('stem', 16, 3, false),
  conv('a', 16, 16),
  conv('b', 32, 16),
  conv('c', 32, 32),
];
const model = { fileName: 'net.onnx', sizeBytes: 1 } as ModelOverview;
const OVERHEAD = 5000;

/** A sweep row whose compute and size the cost model gives (size: weights + a fixed overhead). */
function measured(rate: number, bits: number, accuracy: number, calibrated = true): StoredSweepRow {
  const settings = { ...DEFAULT_SETTINGS, rate, bits };
  const costs = settingsCosts(layers, settings);
  return {
    modelFileName: 'net.onnx',
    method: 'admm',
    rate,
    bits,
    actBits: null,
    calibrated,
    accuracy: accuracy / 100,
    agreement: 1,
    bopPercent: costs.bopPercent,
    sizeBytes: costs.idealBytes + OVERHEAD,
    latencyMs: rate * bits,
    meanError: 0.1,
    images: 100,
    cached: false,
    dataHash: 'h',
  };
}

const points: ChartPoint[] = chartModel(
  model,
  [],
  [
    measured(2, 4, 80),
    measured(2, 8, 88),
    measured(3, 4, 60),
    measured(3, 8, 84),
    // An uncalibrated twin must not enter a calibrated estimate.
    measured(2, 4, 10, false),
  ],
  {},
).points;

const at = (patch: Partial<CompressSettings>) =>
  currentPoint(layers, { ...DEFAULT_SETTINGS, ...patch }, true, points);

describe('you are here', () => {
  it('is the measured value when the settings were measured, at the measured size', () => {
    const c = at({ rate: 2, bits: 4 });
    expect(c.kind).toBe('measured');
    expect(c.accuracy).toBeCloseTo(80);
    expect(c.used).toHaveLength(1);
    expect(c.bopPercent).toBeCloseTo(points[0].bopPercent, 10);
    expect(c.sizeBytes).toBe(points[0].sizeBytes);
  });

  it('interpolates between the measured bit widths and rates of the same method and calibration', () => {
    const bits6 = at({ rate: 2, bits: 6 });
    expect(bits6.kind).toBe('estimate');
    expect(bits6.accuracy).toBeCloseTo(84);
    expect(bits6.used.map((p) => p.bits)).toEqual([4, 8]);
    const middle = at({ rate: 2.5, bits: 6 });
    expect(middle.accuracy).toBeCloseTo((80 + 88 + 60 + 84) / 4);
    expect(middle.used).toHaveLength(4);
    expect(middle.latencyMs).toBeCloseTo((8 + 16 + 12 + 24) / 4);
    // x is exact: the cost model's compute; the size adds the overhead measured on the points.
    const costs = settingsCosts(layers, { ...DEFAULT_SETTINGS, rate: 2.5, bits: 6 });
    expect(middle.bopPercent).toBe(costs.bopPercent);
    expect(middle.sizeBytes).toBeCloseTo(costs.idealBytes + OVERHEAD, 6);
    expect(middle.sizeSource).toBe('overhead');
  });

  it('says why when it cannot estimate: outside the measured grid, or no such points', () => {
    const low = at({ rate: 2, bits: 2 });
    expect(low.kind).toBe('none');
    expect(low.accuracy).toBeNull();
    expect(low.reason).toMatch(/outside the measured .*weight bits 4–8/);
    expect(Number.isFinite(low.bopPercent)).toBe(true);
    const ftq = at({ method: 'ftq', rate: 2, bits: 4 });
    expect(ftq.kind).toBe('none');
    expect(ftq.reason).toMatch(/no FTQ .* points measured/);
    // Without a calibration set the run would be uncalibrated: the uncalibrated twin answers.
    const uncalibrated = currentPoint(
      layers,
      { ...DEFAULT_SETTINGS, rate: 2, bits: 4 },
      false,
      points,
    );
    expect(uncalibrated.kind).toBe('measured');
    expect(uncalibrated.accuracy).toBeCloseTo(10);
  });

  it('a rank gives a rate for the estimate; other layers make it an estimate, not a measurement', () => {
    const byRank = at({ sizeBy: 'rank', rank: 4, bits: 4 });
    expect(byRank.rate).toBeGreaterThan(1);
    expect(byRank.config.rank).toBe(4);
    expect(byRank.kind === 'estimate' || byRank.kind === 'none').toBe(true);
    const fewer = at({ rate: 2, bits: 4, layerMode: 'selected', selectedLayers: ['a'] });
    expect(fewer.kind).toBe('none');
  });
});
