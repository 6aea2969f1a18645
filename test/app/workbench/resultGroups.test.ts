import { describe, expect, it } from 'vitest';
import { resultGroups } from '../../../src/app/workbench/resultGroups.ts';
import { DEFAULT_SETTINGS } from '../../../src/app/workbench/settings.ts';
import type { ResultRow, StoredSweepRow } from '../../../src/app/workbench/store.ts';

function run(id: string, images: number | null, dataHash: string | null = 'h'): ResultRow {
  return {
    id,
    createdAt: 1,
    modelFileName: 'net.onnx',
    settings: DEFAULT_SETTINGS,
    layers: [],
    calibrated: false,
    meanError: 0.3,
    bopPercent: 6.75,
    params: 1,
    sizeBytes: 100,
    floatSizeBytes: 1000,
    evaluation:
      images === null
        ? null
        : {
            accuracy: 0.8,
            top5: null,
            agreement: 0.85,
            klDiv: 0.1,
            images,
            latencyMs: { median: 2, p90: 3 },
            referenceLatencyMs: { median: 1, p90: 1.5 },
            threads: 1,
          },
    dataFileName: 'd.bin',
    dataHash,
  };
}

describe('results by image set', () => {
  it('puts each set under the original model measured on the same images', () => {
    const baselines = {
      [JSON.stringify(['net.onnx', 1000, 'h', 'quick', 200, null])]: { accuracy: 0.9, images: 200 },
    };
    const floatRow = {
      modelFileName: 'net.onnx',
      method: 'float',
      images: 1000,
      dataHash: 'h',
      accuracy: 0.91,
    } as StoredSweepRow;
    const groups = resultGroups(
      [run('a', 200), run('b', 1000), run('c', 200), run('d', null), run('e', 200, 'other')],
      baselines,
      [floatRow],
    );
    expect(groups.map((g) => [g.rows.map((r) => r.id), g.original?.accuracy ?? null])).toEqual([
      [['a', 'c'], 0.9],
      [['b'], 0.91],
      [['d'], null],
      [['e'], null],
    ]);
    expect(groups[0].original).toMatchObject({
      images: 200,
      sizeBytes: 1000,
      latencyMs: { median: 1, p90: 1.5 },
    });
  });
});
