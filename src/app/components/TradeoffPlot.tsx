// One trade-off chart as plain SVG: curves per method and bit width, the Pareto front, the float
// reference, every measured point as a control (hover card, click loads its settings) and the
// "you are here" marker. Colours and strokes are attributes, not CSS, so the exported SVG/PNG
// looks the same as the page.
import { type Ref, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { type ChartPoint, curves, type FloatReference } from '../workbench/chartData.ts';
import type { ChartSpec } from '../workbench/chartSpecs.ts';
import type { CurrentPoint } from '../workbench/currentPoint.ts';
import type { PointCard } from '../workbench/pointText.ts';
import type { ChartView } from '../workbench/store.ts';
import { CurrentMarker } from './CurrentMarker.tsx';
import { HoverCard, PlotPoint } from './PlotPoint.tsx';
import { type Frame, markerFits, plotFrame } from './plotFrame.ts';

export const PLOT_HEIGHT = 270;
const INK = '#1c2330';
const GRID = '#e3e6eb';
const MUTED = '#667085';

interface PlotProps {
  spec: ChartSpec;
  /** The image set's points the legend leaves shown. */
  points: readonly ChartPoint[];
  float: FloatReference | null;
  marker: CurrentPoint | null;
  view: ChartView;
  selectedId: string | null;
  onSelect(p: ChartPoint): void;
  card(p: ChartPoint): PointCard;
  svgRef?: Ref<SVGSVGElement>;
}

function useWidth() {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(360);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth || 360);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth || 360));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

/** Tick labels near the plot's ends grow inwards, so none is cut off. */
function tickAnchor(px: number, box: Frame['box']): 'start' | 'middle' | 'end' {
  if (px > box.right - 22) return 'end';
  if (px < box.left + 22) return 'start';
  return 'middle';
}

function Axes({ f, spec }: { f: Frame; spec: ChartSpec }) {
  const { x, y, box } = f;
  return (
    <g fontSize={12} fill={MUTED}>
      {x.ticks.map((t) => (
        <g key={`x${t}`}>
          <line x1={x(t)} x2={x(t)} y1={box.top} y2={box.bottom} stroke={GRID} />
          <text x={x(t)} y={box.bottom + 15} textAnchor={tickAnchor(x(t), box)}>
            {spec.formatTick(t)}
          </text>
        </g>
      ))}
      {y.ticks.map((t) => (
        <g key={`y${t}`}>
          <line x1={box.left} x2={box.right} y1={y(t)} y2={y(t)} stroke={GRID} />
          <text x={box.left - 5} y={y(t) + 4} textAnchor="end" data-axis="y">
            {t} %
          </text>
        </g>
      ))}
      <rect
        x={box.left}
        y={box.top}
        width={box.right - box.left}
        height={box.bottom - box.top}
        fill="none"
        stroke="#c9ced6"
      />
      <text x={(box.left + box.right) / 2} y={box.bottom + 32} textAnchor="middle" fill={INK}>
        <title>{spec.xTerm}</title>
        {spec.xLabel}
        {x.log ? ' · log scale' : ''}
      </text>
    </g>
  );
}

function pathThrough(f: Frame, points: readonly ChartPoint[]): string {
  return points
    .map((p, i) => `${i ? 'L' : 'M'}${f.px(p).toFixed(1)},${f.py(p).toFixed(1)}`)
    .join('');
}

function FloatLine({ f, float, spec }: { f: Frame; float: FloatReference; spec: ChartSpec }) {
  const { box } = f;
  const y = f.y(float.accuracy);
  const latency = spec.id === 'latency' && float.latencyMs ? f.x(float.latencyMs) : null;
  return (
    <g stroke={MUTED} strokeDasharray="5 4" fontSize={12} fill={MUTED} data-testid="float-line">
      {y >= box.top && y <= box.bottom && (
        <>
          <line x1={box.left} x2={box.right} y1={y} y2={y} />
          <text x={box.left + 4} y={y - 4} stroke="none">
            original {float.accuracy.toFixed(2)} %
          </text>
        </>
      )}
      {latency !== null && <line x1={latency} x2={latency} y1={box.top} y2={box.bottom} />}
    </g>
  );
}

function Lines({ f, spec, view }: { f: Frame; spec: ChartSpec; view: ChartView }) {
  const lines = view.paretoOnly || !spec.curves ? [] : curves(f.shown);
  return (
    <>
      {lines.map((c) => (
        <path
          key={c.key}
          d={pathThrough(
            f,
            [...c.points].sort((a, b) => f.px(a) - f.px(b)),
          )}
          fill="none"
          stroke={f.color(c.points[0])}
          strokeWidth={c.allocated ? 2.6 : 1.4}
          strokeDasharray={c.calibrated ? undefined : '4 3'}
          opacity={0.75}
          data-testid={c.allocated ? 'allocated-curve' : undefined}
        />
      ))}
      {f.fronts.map((front) => (
        <path
          key={front.key}
          d={pathThrough(f, front.points)}
          fill="none"
          stroke={front.color}
          strokeWidth={front.key === 'all' ? 7 : 3}
          strokeOpacity={front.key === 'all' ? 0.18 : 0.45}
          strokeLinejoin="round"
          strokeLinecap="round"
          data-testid={front.key === 'all' ? 'pareto-front' : `pareto-front-${front.key}`}
        >
          <title>
            {front.key === 'all' ? 'Best trade-off (Pareto front)' : `Best ${front.key} points`}
          </title>
        </path>
      ))}
    </>
  );
}

/** Everything but the marker: redrawn when the points, the view or the axes change. */
function PlotBody(props: { f: Frame; plot: PlotProps; onHover(p: ChartPoint | null): void }) {
  const { f, plot } = props;
  return (
    <>
      <rect width={f.box.right + 14} height={PLOT_HEIGHT} fill="#ffffff" />
      <Axes f={f} spec={plot.spec} />
      {plot.float && <FloatLine f={f} float={plot.float} spec={plot.spec} />}
      <Lines f={f} spec={plot.spec} view={plot.view} />
      {f.shown.map((p) => (
        <PlotPoint
          key={p.id}
          p={p}
          f={f}
          selected={p.id === plot.selectedId}
          onSelect={plot.onSelect}
          onHover={props.onHover}
        />
      ))}
    </>
  );
}

export function TradeoffPlot(props: PlotProps) {
  const { ref, width } = useWidth();
  const [hovered, setHovered] = useState<ChartPoint | null>(null);
  const { spec, points, float, view, card, marker, selectedId, onSelect } = props;
  const base = useMemo(
    () => plotFrame({ spec, points, float, view, card }, width, PLOT_HEIGHT),
    [spec, points, float, view, card, width],
  );
  const f = markerFits(base, spec, marker)
    ? base
    : plotFrame({ spec, points, float, view, card }, width, PLOT_HEIGHT, marker);
  // A slider move changes only the marker: the points stay as they are (issue #16: 100 ms).
  // biome-ignore lint/correctness/useExhaustiveDependencies: props is read through the listed fields.
  const body = useMemo(
    () => <PlotBody f={f} plot={props} onHover={setHovered} />,
    [f, selectedId, onSelect, float, spec, view],
  );
  if (f.shown.length === 0) {
    return (
      <div ref={ref} className="chart-empty muted small" data-testid="chart-empty">
        No {spec.id === 'latency' ? 'latency ' : ''}measurements to show on these images
      </div>
    );
  }
  return (
    <div ref={ref} className="plot">
      {/* biome-ignore lint/a11y/useSemanticElements: the chart is an SVG; its points are its controls. */}
      <svg
        ref={props.svgRef}
        xmlns="http://www.w3.org/2000/svg"
        width={width}
        height={PLOT_HEIGHT}
        viewBox={`0 0 ${width} ${PLOT_HEIGHT}`}
        fontFamily="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
        role="group"
        aria-label={spec.title}
      >
        {body}
        {marker && <CurrentMarker f={f} marker={marker} spec={spec} />}
      </svg>
      {f.belowCount > 0 && (
        <p className="plot-note muted small" data-testid="below-note">
          <span title="Tick “Full 0–100 %” to see them at their accuracy">
            {f.belowCount} below {f.y.domain[0]} % on the bottom edge
          </span>
        </p>
      )}
      {hovered && f.shown.includes(hovered) && <HoverCard p={hovered} f={f} width={width} />}
    </div>
  );
}
