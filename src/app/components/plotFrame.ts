// The geometry of one chart: which points are drawn (Pareto only or all), the fronts, the axis
// domains (accuracy zoomed to the range that matters unless full 0-100 % is asked for; log x on
// request) and pixel positions. Points below the zoomed range sit on the bottom edge.
import { METHODS } from '../../core/factor/methods/index.ts';
import { type ChartPoint, type FloatReference, methodColor } from '../workbench/chartData.ts';
import {
  FOCUS_BAND,
  focusDomain,
  makeScale,
  paddedDomain,
  type Scale,
} from '../workbench/chartScale.ts';
import type { ChartSpec } from '../workbench/chartSpecs.ts';
import type { CurrentPoint } from '../workbench/currentPoint.ts';
import { paretoFront } from '../workbench/pareto.ts';
import type { PointCard } from '../workbench/pointText.ts';
import type { ChartView } from '../workbench/store.ts';

export interface FrontLine {
  /** 'all', or the method id of a per-method front. */
  key: string;
  color: string;
  points: ChartPoint[];
}

export interface Frame {
  box: { left: number; right: number; top: number; bottom: number };
  x: Scale;
  y: Scale;
  shown: ChartPoint[];
  fronts: FrontLine[];
  belowCount: number;
  px(p: ChartPoint): number;
  py(p: ChartPoint): number;
  pinned(p: ChartPoint): boolean;
  color(p: ChartPoint): string;
  card(p: ChartPoint): PointCard;
}

interface FrameInput {
  spec: ChartSpec;
  points: readonly ChartPoint[];
  float: FloatReference | null;
  view: ChartView;
  card(p: ChartPoint): PointCard;
}

const accuracy = (p: ChartPoint) => p.accuracy;

function frontLines(points: readonly ChartPoint[], spec: ChartSpec, perMethod: boolean) {
  const fronts: FrontLine[] = [
    { key: 'all', color: '#1c2330', points: paretoFront(points, spec.x, accuracy) },
  ];
  if (!perMethod) return fronts;
  for (const method of new Set(points.map((p) => p.method))) {
    const front = paretoFront(
      points.filter((p) => p.method === method),
      spec.x,
      accuracy,
    );
    if (front.length > 1) fronts.push({ key: method, color: METHODS[method].color, points: front });
  }
  return fronts;
}

/** The marker's x value on a chart (NaN when unknown, e.g. no latency estimate). */
export function markerX(spec: ChartSpec, marker: CurrentPoint | null): number {
  if (!marker) return Number.NaN;
  return spec.x({
    bopPercent: marker.bopPercent,
    sizeBytes: marker.sizeBytes,
    latencyMs: marker.latencyMs ?? Number.NaN,
  });
}

function yDomain(
  view: ChartView,
  fronts: FrontLine[],
  shown: ChartPoint[],
  float: FloatReference | null,
  markerY: number,
): [number, number] {
  if (view.yFull) return [0, 100];
  const relevant = [...fronts[0].points.map(accuracy), float?.accuracy ?? Number.NaN, markerY];
  return focusDomain(relevant, shown.map(accuracy));
}

/**
 * The chart's geometry. The marker widens the axes only when it falls outside them, so moving
 * a slider leaves the rest of the chart as it is (and React skips redrawing it).
 */
export function plotFrame(
  input: FrameInput,
  width: number,
  height: number,
  marker: CurrentPoint | null = null,
): Frame {
  const { spec, view } = input;
  const plotted = input.points.filter(
    (p) => Number.isFinite(spec.x(p)) && Number.isFinite(p.accuracy),
  );
  const fronts = frontLines(plotted, spec, view.frontPerMethod);
  const onFront = new Set(fronts.flatMap((f) => f.points));
  const shown = view.paretoOnly ? plotted.filter((p) => onFront.has(p)) : plotted;
  const log = view.logX && spec.logAllowed;
  const mx = markerX(spec, marker);
  const floatLatency = spec.id === 'latency' ? (input.float?.latencyMs ?? Number.NaN) : Number.NaN;
  const xValues = [...shown.map(spec.x), floatLatency];
  let xDomain = paddedDomain(xValues, log);
  if (mx < xDomain[0] || mx > xDomain[1]) xDomain = paddedDomain([...xValues, mx], log);
  let yRange = yDomain(view, fronts, shown, input.float, Number.NaN);
  const my = marker?.accuracy ?? Number.NaN;
  if (widensY(yRange, my)) {
    yRange = yDomain(view, fronts, shown, input.float, my);
  }
  const box = { left: 48, right: width - 14, top: 10, bottom: height - 40 };
  const x = makeScale(xDomain, [box.left, box.right], log, Math.max(2, Math.floor(width / 90)));
  const y = makeScale(yRange, [box.bottom, box.top], false, 5);
  const pinned = (p: ChartPoint) => p.accuracy < yRange[0];
  return {
    box,
    x,
    y,
    shown,
    fronts,
    belowCount: shown.filter(pinned).length,
    px: (p) => x(spec.x(p)),
    py: (p) => (pinned(p) ? box.bottom : y(p.accuracy)),
    pinned,
    color: (p) => methodColor(p.method),
    card: input.card,
  };
}

/** The marker's accuracy widens a zoomed axis above it, or below it within FOCUS_BAND. */
function widensY(y: [number, number], my: number): boolean {
  return my > y[1] || (my < y[0] && my >= y[1] - FOCUS_BAND);
}

/** Whether the frame drawn without the marker holds it (then that frame is kept as it is). */
export function markerFits(f: Frame, spec: ChartSpec, marker: CurrentPoint | null): boolean {
  const mx = markerX(spec, marker);
  const my = marker?.accuracy ?? Number.NaN;
  const xFits = !Number.isFinite(mx) || (mx >= f.x.domain[0] && mx <= f.x.domain[1]);
  return xFits && !widensY(f.y.domain, my);
}
