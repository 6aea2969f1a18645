// One legend for the three charts, in its own row above them (it never covers a plot): colour =
// method, shape = weight bits, filled = calibrated, hollow = uncalibrated. Each item is a
// toggle that hides or shows the points it names.
import { memo, type ReactNode } from 'react';
import { METHOD_IDS, METHODS } from '../../core/factor/methods/index.ts';
import { type ChartPoint, shapeForBits } from '../workbench/chartData.ts';
import { shapePath } from '../workbench/pointShapes.ts';

const INK = '#1c2330';

function Swatch({ children }: { children: ReactNode }) {
  return (
    <svg width={16} height={16} viewBox="0 0 16 16" aria-hidden="true" className="swatch">
      {children}
    </svg>
  );
}

function Toggle(props: {
  id: string;
  hidden: readonly string[];
  onToggle(key: string): void;
  swatch: ReactNode;
  children: ReactNode;
}) {
  const off = props.hidden.includes(props.id);
  return (
    <button
      type="button"
      className="legend-item"
      aria-pressed={!off}
      data-legend={props.id}
      title={off ? 'Click to show' : 'Click to hide'}
      onClick={() => props.onToggle(props.id)}
    >
      <Swatch>{props.swatch}</Swatch>
      {props.children}
    </button>
  );
}

export const ChartLegend = memo(function ChartLegend(props: {
  points: readonly ChartPoint[];
  hidden: readonly string[];
  onToggle(key: string): void;
}) {
  const { points, hidden, onToggle } = props;
  const methods = METHOD_IDS.filter((m) => points.some((p) => p.method === m));
  const bits = [...new Set(points.map((p) => p.bits))].sort((a, b) => a - b);
  const fills = [true, false].filter((c) => points.some((p) => p.calibrated === c));
  const runs = points.some((p) => p.source === 'run');
  const allocatedCurve = points.some((p) => p.budgetPercent !== undefined);
  const item = { hidden, onToggle };
  return (
    <fieldset className="chart-legend" aria-label="Legend (click an item to hide or show it)">
      <span className="legend-group">
        <span className="legend-head">Colour</span>
        {methods.map((m) => (
          <Toggle
            key={m}
            id={`m:${m}`}
            {...item}
            swatch={<rect x={2} y={2} width={12} height={12} rx={2} fill={METHODS[m].color} />}
          >
            {METHODS[m].shortLabel}
          </Toggle>
        ))}
      </span>
      <span className="legend-group">
        <span className="legend-head">Shape</span>
        {bits.map((b) => (
          <Toggle
            key={b}
            id={`b:${b}`}
            {...item}
            swatch={<path d={shapePath(shapeForBits(b), 8, 8, 5)} fill={INK} />}
          >
            {b === 32 ? 'float' : `${b}-bit`}
          </Toggle>
        ))}
      </span>
      <span className="legend-group">
        <span className="legend-head">Fill</span>
        {fills.map((cal) => (
          <Toggle
            key={String(cal)}
            id={cal ? 'c:cal' : 'c:uncal'}
            {...item}
            swatch={
              <circle
                cx={8}
                cy={8}
                r={5}
                fill={cal ? INK : '#ffffff'}
                stroke={INK}
                strokeWidth={cal ? 1 : 2}
              />
            }
          >
            {cal ? 'calibrated' : 'uncalibrated'}
          </Toggle>
        ))}
        {runs && (
          <Toggle
            id="runs"
            {...item}
            swatch={
              <>
                <circle cx={8} cy={8} r={6.5} fill="none" stroke={INK} strokeWidth={1.2} />
                <circle cx={8} cy={8} r={3.5} fill={INK} />
              </>
            }
          >
            your runs
          </Toggle>
        )}
      </span>
      <span className="legend-group legend-keys">
        <span className="legend-key">
          <Swatch>
            <line x1={1} x2={15} y1={8} y2={8} stroke={INK} strokeWidth={6} strokeOpacity={0.18} />
          </Swatch>
          best trade-off
        </span>
        {allocatedCurve && (
          <span className="legend-key" data-testid="legend-allocated">
            <Swatch>
              <line x1={1} x2={15} y1={8} y2={8} stroke={INK} strokeWidth={2.6} />
            </Swatch>
            budget sweep (allocated per layer)
          </span>
        )}
        <span className="legend-key">
          <Swatch>
            <line x1={1} x2={15} y1={8} y2={8} stroke="#667085" strokeDasharray="4 3" />
          </Swatch>
          original model
        </span>
        <span className="legend-key">
          <Swatch>
            <circle cx={8} cy={8} r={5.5} fill="none" stroke={INK} strokeWidth={2} />
          </Swatch>
          you are here
        </span>
      </span>
    </fieldset>
  );
});
