// The three trade-off charts: accuracy against compute, model size and measured latency.
import { formatBytes } from '../format.ts';
import type { ChartPoint } from './chartData.ts';
import { TERMS } from './pointText.ts';

export type ChartId = 'compute' | 'size' | 'latency';

export interface ChartSpec {
  id: ChartId;
  title: string;
  xLabel: string;
  /** The technical term behind the plain words, for the tooltip. */
  xTerm: string;
  x(p: Pick<ChartPoint, 'bopPercent' | 'sizeBytes' | 'latencyMs'>): number;
  formatTick(v: number): string;
  /** Whether the log-scale option applies. */
  logAllowed: boolean;
  /** Join a method's rates by a line (not for latency, which does not follow the rate). */
  curves: boolean;
}

function trim(v: number): string {
  return String(Number(v.toPrecision(6)));
}

export const CHARTS: readonly ChartSpec[] = [
  {
    id: 'compute',
    title: 'Accuracy vs compute',
    xLabel: 'Compute (BOPs, % of original)',
    xTerm: TERMS.compute,
    x: (p) => p.bopPercent,
    formatTick: (v) => `${trim(v)} %`,
    logAllowed: true,
    curves: true,
  },
  {
    id: 'size',
    title: 'Accuracy vs model size',
    xLabel: 'Model size',
    xTerm: TERMS.size,
    // Kilobytes, so the ticks fall on round KB.
    x: (p) => p.sizeBytes / 1024,
    formatTick: (v) => formatBytes(v * 1024),
    logAllowed: true,
    curves: true,
  },
  {
    id: 'latency',
    title: 'Accuracy vs latency',
    xLabel: 'Latency (ms per image, measured)',
    xTerm: TERMS.latency,
    x: (p) => p.latencyMs,
    formatTick: (v) => `${trim(v)} ms`,
    logAllowed: false,
    curves: false,
  },
];
