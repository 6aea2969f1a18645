import { describe, expect, it } from 'vitest';
import type { ModelOverview } from '../../../src/app/bridge/modelTypes.ts';
import { chartModel } from '../../../src/app/workbench/chartData.ts';
import {
  EmptyExportError,
  type ExportMeta,
  pointsCsv,
  pointsJson,
} from '../../../src/app/workbench/pointsExport.ts';
import type { StoredSweepRow } from '../../../src/app/workbench/store.ts';

const model = { fileName: 'net.onnx', sizeBytes: 1000 } as ModelOverview;
const meta: ExportMeta = {
  app: { name: 'qaf-workbench', version: '0.1.0' },
  model: { fileName: 'net.onnx', sizeBytes: 1000, sha256: 'ab'.repeat(32) },
  exportedAt: '2026-12-01T00:00:00.000Z',
};

function row(method: StoredSweepRow['method'], accuracy: number, extra = {}): StoredSweepRow {
  return {
    modelFileName: 'net.onnx',
    method,
    rate: method === 'admm' ? 2 : null,
    bits: method === 'float' ? 32 : 4,
    actBits: null,
    calibrated: false,
    accuracy,
    agreement: 0.95,
    bopPercent: 6.75,
    sizeBytes: 111_793,
    latencyMs: 10.5,
    meanError: 0.35,
    images: 1000,
    cached: false,
    dataHash: 'd',
    precomputed: '2026-11-28, qaf sweep in Node v20',
    ...extra,
  };
}

describe('points export', () => {
  const data = chartModel(model, [], [row('float', 0.9), row('admm', 0.869)], {});

  it('JSON: app version, model hash, and per point its settings, image set, metrics and latency', () => {
    const parsed = JSON.parse(pointsJson(meta, data));
    expect(parsed.app.version).toBe('0.1.0');
    expect(parsed.model.sha256).toHaveLength(64);
    expect(parsed.points).toHaveLength(2);
    expect(parsed.points[0]).toMatchObject({ source: 'float', accuracyPercent: 90, images: 1000 });
    expect(parsed.points[1]).toMatchObject({
      source: 'sweep',
      method: 'admm',
      rate: 2,
      weightBits: 4,
      activationBits: 32,
      calibrated: false,
      dataSha256: 'd',
      images: 1000,
      bopPercent: 6.75,
      sizeBytes: 111_793,
      latencyMsMedian: 10.5,
      measuredWith: '2026-11-28, qaf sweep in Node v20',
    });
    expect(parsed.points[1].accuracyPercent).toBeCloseTo(86.9);
  });

  it('CSV: one header, one line per point, commas quoted', () => {
    const csv = pointsCsv(meta, data).trimEnd().split('\n');
    expect(csv).toHaveLength(3);
    const head = csv[0].split(',');
    expect(head).toContain('accuracyPercent');
    expect(head).toContain('modelSha256');
    expect(head).toContain('appVersion');
    // The "measured with" note holds a comma: it is quoted, so every line has the header's cells.
    expect(csv[2]).toContain('"2026-11-28, qaf sweep in Node v20"');
    const cells = csv[2].match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.filter((c) => c !== '');
    expect(cells).toHaveLength(head.length);
  });

  it('nothing measured: a clear error, never an empty file', () => {
    const empty = chartModel(model, [], [], {});
    expect(() => pointsCsv(meta, empty)).toThrow(EmptyExportError);
    expect(() => pointsJson(meta, empty)).toThrow(/Nothing to export yet/);
  });
});
