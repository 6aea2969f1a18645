// All measured points of a model as CSV or JSON: the settings, the image set, the metrics and
// the latency of each, with the app version and the model's hash, so a table made from them
// says where every number came from. An empty export is an error with a message, never a file.

import { METHODS } from '../../core/factor/methods/index.ts';
import type { ChartModel, ChartPoint } from './chartData.ts';
import { measureWord } from './pointText.ts';
import { METHOD_LABELS } from './settings.ts';

export interface ExportMeta {
  app: { name: string; version: string };
  model: { fileName: string; sizeBytes: number; sha256: string | null };
  exportedAt: string;
}

export interface PointRecord {
  source: 'sweep' | 'run' | 'float';
  method: string;
  methodLabel: string;
  rate: number | null;
  rank: number | null;
  weightBits: number;
  activationBits: number;
  calibrated: boolean;
  preset: string | null;
  otherLayerBits: number | null;
  layers: string;
  dataSha256: string | null;
  images: number;
  /** What accuracyPercent holds: 'accuracy' (labelled images) or, for runs on the user's arrays,
   * 'agreement with the original' (top-1 or pixel agreement; no labels). */
  measure: string;
  accuracyPercent: number;
  agreementPercent: number | null;
  bopPercent: number | null;
  sizeBytes: number | null;
  latencyMsMedian: number | null;
  meanLayerError: number | null;
  measuredWith: string;
  measuredAt: string | null;
}

export class EmptyExportError extends Error {
  constructor() {
    super('Nothing to export yet: no point has been measured for this model.');
    this.name = 'EmptyExportError';
  }
}

const finite = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;

function record(p: ChartPoint): PointRecord {
  return {
    source: p.source,
    method: p.choice,
    methodLabel: METHOD_LABELS[p.choice],
    rate: p.rate,
    rank: p.rank,
    weightBits: p.bits,
    activationBits: p.actBits ?? 32,
    calibrated: p.calibrated,
    preset: p.method === 'admm' ? p.preset : null,
    otherLayerBits: p.otherBits,
    layers: p.layers,
    dataSha256: p.dataHash,
    images: p.images,
    measure: measureWord(p.measure),
    accuracyPercent: p.accuracy,
    agreementPercent: finite(p.agreement),
    bopPercent: finite(p.bopPercent),
    sizeBytes: finite(p.sizeBytes),
    latencyMsMedian: finite(p.latencyMs),
    meanLayerError: finite(p.meanError),
    measuredWith:
      p.source === 'run'
        ? 'compress & evaluate in this browser'
        : (p.precomputed ?? 'baseline sweep in this browser'),
    measuredAt: p.createdAt ? new Date(p.createdAt).toISOString() : null,
  };
}

/** Every point of every image set, the float model's first on each set. */
export function pointRecords(data: ChartModel): PointRecord[] {
  const records: PointRecord[] = [];
  for (const set of data.sets) {
    const float = data.floats[set.key];
    if (float) {
      records.push({
        source: 'float',
        method: 'float',
        methodLabel: 'original (float)',
        rate: null,
        rank: null,
        weightBits: 32,
        activationBits: 32,
        calibrated: false,
        preset: null,
        otherLayerBits: null,
        layers: 'none',
        dataSha256: set.dataHash,
        images: set.images,
        measure: measureWord(set.measure),
        accuracyPercent: float.accuracy,
        agreementPercent: 100,
        bopPercent: 100,
        sizeBytes: finite(float.sizeBytes),
        latencyMsMedian: finite(float.latencyMs),
        meanLayerError: 0,
        measuredWith:
          set.measure === 'agreement'
            ? 'the original itself (it agrees with itself on every sample)'
            : 'float model on the same images',
        measuredAt: null,
      });
    }
    for (const p of data.points) if (p.imageSet === set.key) records.push(record(p));
  }
  return records;
}

export function assertExportable(data: ChartModel): void {
  if (data.points.length === 0) throw new EmptyExportError();
}

function nonEmpty(data: ChartModel): PointRecord[] {
  assertExportable(data);
  return pointRecords(data);
}

export function pointsJson(meta: ExportMeta, data: ChartModel): string {
  const points = nonEmpty(data);
  const methods = Object.fromEntries(
    Object.values(METHODS).map((m) => [m.id, { label: m.label, color: m.color }]),
  );
  return `${JSON.stringify({ ...meta, methods, points }, null, 2)}\n`;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One header line, one line per point; app version and model hash on every line. */
export function pointsCsv(meta: ExportMeta, data: ChartModel): string {
  const points = nonEmpty(data);
  const columns = Object.keys(points[0]) as (keyof PointRecord)[];
  const head = [...columns, 'modelFile', 'modelSha256', 'appVersion', 'exportedAt'];
  const tail = [meta.model.fileName, meta.model.sha256, meta.app.version, meta.exportedAt];
  const lines = [head.join(',')];
  for (const p of points) lines.push([...columns.map((c) => p[c]), ...tail].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}
