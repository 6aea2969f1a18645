// A chart's measured points as controls (click loads the settings, Enter too) and the card a
// hovered or focused point shows, naming the points drawn at the same place.
import { type ChartPoint, shapeForBits } from '../workbench/chartData.ts';
import { shapePath } from '../workbench/pointShapes.ts';
import { measureWord, shortName } from '../workbench/pointText.ts';
import type { Frame } from './plotFrame.ts';

const RADIUS = 5;
const INK = '#1c2330';

export function PlotPoint(props: {
  p: ChartPoint;
  f: Frame;
  selected: boolean;
  onSelect(p: ChartPoint): void;
  onHover(p: ChartPoint | null): void;
}) {
  const { p, f } = props;
  const cx = f.px(p);
  const cy = f.py(p);
  const color = f.color(p);
  const pinned = f.pinned(p);
  const select = () => props.onSelect(p);
  return (
    <g opacity={pinned ? 0.6 : 1}>
      {props.selected && (
        <circle cx={cx} cy={cy} r={RADIUS + 6} fill="none" stroke={INK} strokeWidth={2} />
      )}
      {p.source === 'run' && (
        <circle cx={cx} cy={cy} r={RADIUS + 3} fill="none" stroke={INK} strokeWidth={1.2} />
      )}
      {/* biome-ignore lint/a11y/useSemanticElements: an SVG shape cannot be a <button>. */}
      <path
        d={shapePath(shapeForBits(p.bits), cx, cy, RADIUS)}
        fill={p.calibrated ? color : '#ffffff'}
        stroke={p.calibrated ? '#ffffff' : color}
        strokeWidth={p.calibrated ? 1 : 2}
        className="plot-point"
        role="button"
        tabIndex={0}
        aria-label={`${f.card(p).title}, ${measureWord(p.measure)} ${p.accuracy.toFixed(2)} %`}
        aria-pressed={props.selected}
        data-point=""
        data-method={p.method}
        data-choice={p.choice}
        data-rate={p.rate ?? ''}
        data-bits={p.bits}
        data-calibrated={String(p.calibrated)}
        data-objective={p.objective ?? undefined}
        data-images={p.images}
        data-source={p.source}
        data-pinned={pinned ? 'true' : undefined}
        onClick={select}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            select();
          }
        }}
        onMouseEnter={() => props.onHover(p)}
        onMouseLeave={() => props.onHover(null)}
        onFocus={() => props.onHover(p)}
        onBlur={() => props.onHover(null)}
      />
    </g>
  );
}

/** Points drawn within a few pixels of `p` (calibrated twins share their compute exactly). */
function samePlace(p: ChartPoint, f: Frame): ChartPoint[] {
  return f.shown.filter(
    (q) => q !== p && Math.abs(f.px(q) - f.px(p)) < 6 && Math.abs(f.py(q) - f.py(p)) < 6,
  );
}

export function HoverCard({ p, f, width }: { p: ChartPoint; f: Frame; width: number }) {
  const card = f.card(p);
  const left = f.px(p) > width * 0.55;
  const others = samePlace(p, f);
  return (
    <div
      className="chart-card"
      role="tooltip"
      data-testid="point-card"
      style={{
        top: Math.max(0, f.py(p) - 40),
        ...(left ? { right: width - f.px(p) + 14 } : { left: f.px(p) + 14 }),
      }}
    >
      <strong>{card.title}</strong>
      {card.lines().map((line) => (
        <span key={line}>{line}</span>
      ))}
      {others.length > 0 && (
        <span className="muted">
          Also here (Tab to reach):{' '}
          {others.map((q) => `${shortName(q)} ${q.accuracy.toFixed(2)} %`).join(', ')}
        </span>
      )}
    </div>
  );
}
