import { describe, expect, it } from 'vitest';
import type { ModelOverview } from '../../../src/app/bridge/modelTypes.ts';
import {
  chartModel,
  curves,
  evaluatedImages,
  imageSetKey,
  isShown,
  pickImageSet,
  shapeForBits,
} from '../../../src/app/workbench/chartData.ts';
import { DEFAULT_SETTINGS } from '../../../src/app/workbench/settings.ts';
import type { ResultRow, StoredSweepRow } from '../../../src/app/workbench/store.ts';
import type { SweepRow } from '../../../src/core/sweep/types.ts';

const model = { fileName: 'net.onnx', sizeBytes: 1000 } as ModelOverview;

function sweepRow(
  method: SweepRow['method'],
  rate: number | null,
  bits: number,
  accuracy: number,
  extra: Partial<StoredSweepRow> = {},
): StoredSweepRow {
  return {
    modelFileName: 'net.onnx',
    method,
    rate,
    bits,
    actBits: null,
    calibrated: false,
    accuracy,
    agreement: 1,
    bopPercent: rate ? 100 / rate / (32 / bits) : (100 * bits) / 32,
    sizeBytes: 1000,
    latencyMs: 1,
    meanError: 0.1,
    images: 10,
    cached: false,
    dataHash: 'h',
    ...extra,
  };
}

function run(accuracy: number, images: number, dataHash: string | null): ResultRow {
  return {
    id: `run-${accuracy}`,
    createdAt: 1,
    modelFileName: 'net.onnx',
    settings: { ...DEFAULT_SETTINGS, rate: 2, bits: 4 },
    layers: [],
    calibrated: true,
    meanError: 0.2,
    bopPercent: 6.75,
    params: 1,
    sizeBytes: 500,
    floatSizeBytes: 1000,
    evaluation: {
      accuracy,
      top5: null,
      agreement: 0.9,
      klDiv: null,
      images,
      latencyMs: { median: 2, p90: 3 },
      referenceLatencyMs: null,
      threads: 1,
    },
    dataFileName: 'data.bin',
    dataHash,
  };
}

describe('chart points', () => {
  it('one point per measured row of this model, with its settings; the float row is the reference', () => {
    const rows = [
      sweepRow('float', null, 32, 0.9),
      sweepRow('admm', 2, 4, 0.85),
      sweepRow('admm', 1.5, 4, 0.88, { calibrated: true }),
      sweepRow('ptq', null, 8, 0.89),
      sweepRow('admm', 2, 4, 0.1, { modelFileName: 'other.onnx' }),
    ];
    const data = chartModel(model, [], rows, {});
    expect(data.points.map((p) => [p.choice, p.rate, p.bits, p.calibrated, p.accuracy])).toEqual([
      ['admm', 2, 4, false, 85],
      ['admm', 1.5, 4, true, 88],
      ['ptq-tensor', null, 8, false, 89],
    ]);
    expect(data.floats[imageSetKey('h', 10)].accuracy).toBeCloseTo(90);
    expect(data.points[1].settings).toMatchObject({
      method: 'admm',
      sizeBy: 'rate',
      rate: 1.5,
      bits: 4,
      calibrate: true,
      actBits: 32,
    });
    // PTQ has no rate: a click leaves the rate alone.
    expect(data.points[2].settings).not.toHaveProperty('rate');
    expect(new Set(data.points.map((p) => p.id)).size).toBe(3);
  });

  it('points measured on other images (count or data) form their own image set', () => {
    const rows = [
      sweepRow('admm', 2, 4, 0.85, { images: 1000 }),
      sweepRow('admm', 3, 4, 0.8, { images: 1000 }),
      sweepRow('admm', 2, 4, 0.84, { images: 200 }),
      sweepRow('float', null, 32, 0.9, { images: 1000 }),
      sweepRow('float', null, 32, 0.89, { images: 200 }),
    ];
    const data = chartModel(model, [run(0.86, 200, 'h'), run(0.5, 200, 'other')], rows, {});
    expect(data.sets.map((s) => [s.key, s.points, s.runs])).toEqual([
      ['h|1000', 2, 0],
      ['h|200', 2, 1],
      ['other|200', 1, 1],
    ]);
    expect(data.floats['h|1000'].accuracy).toBeCloseTo(90);
    expect(data.floats['h|200'].accuracy).toBeCloseTo(89);
    // Curves join points of one set only.
    const all = curves(data.points);
    expect(all).toHaveLength(1);
    expect(all[0].points.map((p) => p.images)).toEqual([1000, 1000]);
  });

  it("a budget sweep's allocated runs make one curve of their own, whatever their global bits", () => {
    const allocated = (accuracy: number, bits: number, budgetPercent: number): ResultRow => ({
      ...run(accuracy, 1000, 'h'),
      id: `alloc-${budgetPercent}`,
      settings: { ...DEFAULT_SETTINGS, bits, overrides: { conv1: { rate: 4, bits: 3 } } },
      bopPercent: budgetPercent,
      sweep: true,
      budgetPercent,
    });
    const data = chartModel(
      model,
      [allocated(0.8, 4, 4), allocated(0.85, 8, 8), { ...run(0.7, 1000, 'h'), id: 'plain' }],
      [
        sweepRow('admm', 2, 4, 0.84, { images: 1000 }),
        sweepRow('admm', 3, 4, 0.8, { images: 1000 }),
      ],
      {},
    );
    const lines = curves(data.points);
    expect(lines).toHaveLength(2);
    const alloc = lines.find((c) => c.allocated)!;
    expect(alloc.points.map((p) => p.budgetPercent).sort()).toEqual([4, 8]);
    expect(alloc.points.every((p) => p.source === 'sweep')).toBe(true);
    expect(lines.find((c) => !c.allocated)!.points).toHaveLength(2);
    // A plain run stays "your run", on no curve.
    expect(data.points.find((p) => p.id === 'run:plain')!.source).toBe('run');
  });

  it('the shown set: the chosen one while it exists, else the most points, a tie to the current', () => {
    const sets = chartModel(
      model,
      [],
      [
        sweepRow('admm', 2, 4, 0.85, { images: 1000 }),
        sweepRow('admm', 2, 4, 0.84, { images: 200 }),
        sweepRow('admm', 3, 4, 0.8, { images: 1000 }),
      ],
      {},
    ).sets;
    expect(pickImageSet(sets, null, 'h|200')).toBe('h|1000');
    expect(pickImageSet(sets, 'h|200', null)).toBe('h|200');
    expect(pickImageSet(sets, 'gone|5', null)).toBe('h|1000');
    expect(pickImageSet(sets.slice(1), null, 'h|200')).toBe('h|200');
    expect(pickImageSet([], null, 'h|5')).toBe('h|5');
  });

  it('without a float sweep row, the float accuracy comes from the baseline on the same set', () => {
    const key = JSON.stringify(['net.onnx', 1000, 'hash', 'quick', null, null]);
    const data = chartModel(model, [], [], { [key]: { accuracy: 0.9173, images: 1000 } });
    expect(data.floats['hash|1000'].accuracy).toBeCloseTo(91.73);
    expect(data.floats['hash|200']).toBeUndefined();
    const otherModel = JSON.stringify(['other.onnx', 1000, 'hash', 'quick', null, null]);
    expect(chartModel(model, [], [], { [otherModel]: { accuracy: 1, images: 1 } }).floats).toEqual(
      {},
    );
  });

  it('runs are points too; runs without accuracy are not', () => {
    const unevaluated = { ...run(0.5, 10, 'h'), id: 'x', evaluation: null };
    const data = chartModel(model, [run(0.86, 10, 'h'), unevaluated], [], {});
    expect(data.points).toHaveLength(1);
    expect(data.points[0]).toMatchObject({
      source: 'run',
      resultId: 'run-0.86',
      accuracy: 86,
      latencyMs: 2,
      imageSet: 'h|10',
    });
  });

  it("points carry QAF's objective: a sweep point's loads it (and its download uses it)", () => {
    const data = chartModel(
      model,
      [
        {
          ...run(0.86, 10, 'h'),
          objective: "data-aware: solved for the layers' inputs on 256 images",
        },
        { ...run(0.8, 10, 'h'), id: 'paper', objective: null },
      ],
      [
        sweepRow('admm', 2, 4, 0.85, { objective: 'data', calibrationImages: 512 }),
        sweepRow('admm', 3, 4, 0.7),
        sweepRow('ptq', null, 4, 0.6, { objective: 'data', calibrationImages: 512 }),
      ],
      {},
    );
    const byId = (f: (p: (typeof data.points)[number]) => boolean) => data.points.find(f)!;
    const dataAware = byId((p) => p.source === 'sweep' && p.rate === 2);
    expect(dataAware).toMatchObject({ objective: 'data', calibrationImages: 512 });
    expect(dataAware.settings.qafObjective).toBe('data');
    const older = byId((p) => p.source === 'sweep' && p.rate === 3);
    expect(older.objective).toBeNull();
    expect(older.settings.qafObjective).toBeUndefined();
    expect(byId((p) => p.method === 'ptq').objective).toBeNull();
    expect(byId((p) => p.resultId === 'run-0.86').objective).toBe('data');
    expect(byId((p) => p.resultId === 'paper').objective).toBe('published');
  });

  it('legend items hide the points they name; shapes follow the weight bits', () => {
    const [p] = chartModel(model, [], [sweepRow('admm', 2, 4, 0.85)], {}).points;
    expect(isShown(p, [])).toBe(true);
    expect(isShown(p, ['m:ftq', 'b:8', 'c:cal'])).toBe(true);
    expect(isShown(p, ['m:admm'])).toBe(false);
    expect(isShown(p, ['b:4'])).toBe(false);
    expect(isShown(p, ['c:uncal'])).toBe(false);
    expect(shapeForBits(4)).not.toBe(shapeForBits(8));
  });

  it('images evaluated: a limit, the quick 1,000, or every image', () => {
    expect(evaluatedImages(1000, 'quick', 200)).toBe(200);
    expect(evaluatedImages(10000, 'quick', null)).toBe(1000);
    expect(evaluatedImages(10000, 'full', null)).toBe(10000);
    expect(evaluatedImages(100, 'quick', 200)).toBe(100);
  });
});

describe('runs on the user arrays', () => {
  const onArrays = (id: string, outputs: NonNullable<ResultRow['arrays']>['outputs']) =>
    ({
      ...run(0, 0, null),
      id,
      evaluation: null,
      dataFileName: null,
      arrays: { source: 'x.npz', samples: 44, which: 'the 44 samples', outputs },
    }) as ResultRow;
  const out = { relativeL2: 0.1, sqnrDb: 20, constant: false };

  it('plot agreement with the original in their own set, never as accuracy', () => {
    const rows = [
      onArrays('a', [{ ...out, name: 'logits', kind: 'classes', agreement: 0.95 }]),
      // rel. L2 and SQNR only: no agreement figure, so no point (the table shows it).
      onArrays('b', [{ ...out, name: 'feat', kind: 'values', agreement: null }]),
      run(0.8, 10, 'h'),
    ];
    const data = chartModel(model, rows, [], {});
    const points = data.points.filter((p) => p.measure === 'agreement');
    expect(points.map((p) => [p.resultId, p.accuracy, p.images, p.imageSet])).toEqual([
      ['a', 95, 44, 'arrays:x.npz|44'],
    ]);
    const set = data.sets.find((s) => s.key === 'arrays:x.npz|44');
    expect(set).toMatchObject({ measure: 'agreement', arraysSource: 'x.npz', points: 1 });
    // The original agrees with itself: the reference line is 100 %.
    expect(data.floats['arrays:x.npz|44'].accuracy).toBe(100);
    expect(data.points.find((p) => p.resultId === 'run-0.8')?.measure).toBe('accuracy');
  });
});
