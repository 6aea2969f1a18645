// The sweep as an aligned text table, one row per point: printed by `qaf sweep` and by
// `npm run bench:sweep`, so both read the same way.
import { formatBytes, formatTable } from '../util/textFormat.ts';
import type { SweepRow } from './types.ts';

/** A 0..1 metric as a percentage with two decimals; '-' when unknown (NaN: no labels). */
export function formatPercent(x: number): string {
  return Number.isFinite(x) ? (x * 100).toFixed(2) : '-';
}

/** One row per sweep point, numeric columns right-aligned. */
export function sweepTable(rows: readonly SweepRow[]): string {
  const body = rows.map((r) => [
    r.method,
    r.rate === null ? '-' : String(r.rate),
    String(r.bits),
    r.actBits === null ? '32' : String(r.actBits),
    r.calibrated ? 'yes' : 'no',
    formatPercent(r.accuracy),
    formatPercent(r.agreement),
    r.bopPercent.toFixed(2),
    formatBytes(r.sizeBytes),
    Number.isFinite(r.latencyMs) ? r.latencyMs.toFixed(2) : '-',
    r.meanError.toFixed(4),
    r.cached ? 'cached' : '',
  ]);
  const headers = [
    'method',
    'rate',
    'w bits',
    'a bits',
    'calibrated',
    'top-1 %',
    'agree %',
    'BOP %',
    'size',
    'latency ms',
    'mean err',
    '',
  ];
  return formatTable(headers, body, new Set([1, 2, 3, 5, 6, 7, 8, 9, 10]));
}
