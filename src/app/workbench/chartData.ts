// Result and sweep rows -> chart series: one per method (sweep points joined by a line), the
// user's own runs as their own series, and the float model's accuracy for the reference line.
import { METHODS, type MethodId } from '../../core/factor/methods/index.ts';
import type { SweepRow } from '../../core/sweep/types.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { isFactorizingMethod, METHOD_LABELS } from './settings.ts';
import type { Baselines, ResultRow, StoredSweepRow } from './store.ts';

export interface ChartPoint {
  bopPercent: number;
  sizeKb: number;
  /** Top-1 in percent. */
  accuracy: number;
  meanError: number;
  rate: number;
  label: string;
}

export interface ChartSeries {
  name: string;
  color: string;
  points: ChartPoint[];
  line: boolean;
  shape: 'circle' | 'square' | 'triangle' | 'diamond' | 'star' | 'cross';
}

/** 4-bit circles, 8-bit triangles, other widths squares: the method keeps the colour. */
function shapeForBits(bits: number): ChartSeries['shape'] {
  return bits === 4 ? 'circle' : bits === 8 ? 'triangle' : 'square';
}

function sweepSeries(rows: readonly SweepRow[]): ChartSeries[] {
  const groups = new Map<string, SweepRow[]>();
  for (const row of rows) {
    if (row.method === 'float') continue;
    const key = `${row.method}|${row.bits}|${row.calibrated}|${row.actBits ?? 32}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.entries()].map(([, group]) => {
    const first = group[0];
    const style = METHODS[first.method as MethodId];
    const extra = `${first.bits}-bit${first.actBits ? ` a${first.actBits}` : ''}${first.calibrated ? ' cal' : ''}`;
    const points = group
      .map((r) => ({
        bopPercent: r.bopPercent,
        sizeKb: r.sizeBytes / 1024,
        accuracy: r.accuracy * 100,
        meanError: r.meanError,
        rate: r.rate ?? Number.NaN,
        label: `${first.method} r${r.rate ?? '-'} w${r.bits}`,
      }))
      .sort((a, b) => a.bopPercent - b.bopPercent);
    return {
      name: `${style.shortLabel} ${extra}`,
      color: style.color,
      points,
      line: points.length > 1,
      shape: first.calibrated ? 'diamond' : shapeForBits(first.bits),
    };
  });
}

function runSeries(results: readonly ResultRow[]): ChartSeries {
  return {
    name: 'Your runs',
    color: '#b42318',
    line: false,
    shape: 'star',
    points: results.map((r) => ({
      bopPercent: r.bopPercent,
      sizeKb: r.sizeBytes / 1024,
      accuracy: r.evaluation?.accuracy == null ? Number.NaN : r.evaluation.accuracy * 100,
      meanError: r.meanError,
      rate:
        isFactorizingMethod(r.settings.method) && r.settings.sizeBy === 'rate'
          ? r.settings.rate
          : Number.NaN,
      label: METHOD_LABELS[r.settings.method],
    })),
  };
}

export function chartSeries(
  model: ModelOverview,
  results: readonly ResultRow[],
  sweepRows: readonly StoredSweepRow[],
  baselines: Baselines,
  dataHash: string | null,
): { series: ChartSeries[]; floatAccuracy: number | null; precomputed: string | null } {
  const mine = sweepRows.filter(
    (r) => r.modelFileName === model.fileName && (!r.precomputed || r.dataHash === dataHash),
  );
  const floatRow = mine.find((r) => r.method === 'float');
  const prefix = JSON.stringify([model.fileName, model.sizeBytes, dataHash]).slice(0, -1);
  const baseline = Object.entries(baselines).find(([key]) => dataHash && key.startsWith(prefix));
  const floatAccuracy = floatRow
    ? floatRow.accuracy * 100
    : baseline
      ? baseline[1].accuracy * 100
      : null;
  const runs = results.filter((r) => r.modelFileName === model.fileName);
  const precomputed = mine.find((r) => r.precomputed)?.precomputed ?? null;
  return { series: [...sweepSeries(mine), runSeries(runs)], floatAccuracy, precomputed };
}
