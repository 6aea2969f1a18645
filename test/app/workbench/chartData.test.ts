import { describe, expect, it } from 'vitest';
import type { ModelOverview } from '../../../src/app/bridge/modelTypes.ts';
import { chartSeries } from '../../../src/app/workbench/chartData.ts';
import type { SweepRow } from '../../../src/core/sweep/types.ts';

const model = { fileName: 'net.onnx', sizeBytes: 1000 } as ModelOverview;

function row(
  method: SweepRow['method'],
  rate: number | null,
  bits: number,
  accuracy: number,
): SweepRow & { modelFileName: string } {
  return {
    modelFileName: 'net.onnx',
    method,
    rate,
    bits,
    actBits: null,
    calibrated: false,
    accuracy,
    agreement: 1,
    bopPercent: rate ? 100 / rate / (32 / bits) : 100,
    sizeBytes: 1000,
    latencyMs: 1,
    meanError: 0.1,
    images: 10,
    cached: false,
  };
}

describe('chart series', () => {
  it('one series per method and bit width, sorted by BOP %, the float row as the reference', () => {
    const rows = [
      row('float', null, 32, 0.9),
      row('admm', 2, 4, 0.85),
      row('admm', 1.5, 4, 0.88),
      row('ftq', 2, 4, 0.5),
      { ...row('admm', 2, 4, 0.1), modelFileName: 'other.onnx' },
    ];
    const { series, floatAccuracy } = chartSeries(model, [], rows, {}, null);
    expect(floatAccuracy).toBeCloseTo(90);
    const admm = series.find((s) => s.name.startsWith('QAF'))!;
    expect(admm.points.map((p) => p.accuracy)).toEqual([85, 88]);
    expect(admm.line).toBe(true);
    expect(series.map((s) => s.name)).toEqual(['QAF (ADMM) 4-bit', 'FTQ 4-bit', 'Your runs']);
  });

  it('without a sweep, the float accuracy comes from the baseline of the same model and data', () => {
    const key = JSON.stringify(['net.onnx', 1000, 'hash', 'quick', null, null]);
    const { floatAccuracy } = chartSeries(
      model,
      [],
      [],
      { [key]: { accuracy: 0.9173, images: 1000 } },
      'hash',
    );
    expect(floatAccuracy).toBeCloseTo(91.73);
    expect(
      chartSeries(model, [], [], { [key]: { accuracy: 0.9, images: 1 } }, 'other').floatAccuracy,
    ).toBeNull();
  });

  it('points measured in advance count only for the data they were measured on, and say so', () => {
    const note = '2026-11-28, qaf sweep in Node v20.20.2';
    const ahead = { ...row('admm', 2, 4, 0.85), precomputed: note, dataHash: 'demo' };
    const here = row('ptq', null, 4, 0.88);
    const onDemo = chartSeries(model, [], [ahead, here], {}, 'demo');
    expect(onDemo.precomputed).toBe(note);
    expect(onDemo.series.map((s) => s.name)).toEqual([
      'QAF (ADMM) 4-bit',
      'PTQ 4-bit',
      'Your runs',
    ]);
    const onOther = chartSeries(model, [], [ahead, here], {}, 'full-test-set');
    expect(onOther.precomputed).toBeNull();
    expect(onOther.series.map((s) => s.name)).toEqual(['PTQ 4-bit', 'Your runs']);
  });
});
