// "You are here" on one chart: a ring at the current settings, solid when measured, hollow and
// dashed when estimated, a dashed vertical line when only its x is known.
import type { ChartSpec } from '../workbench/chartSpecs.ts';
import type { CurrentPoint } from '../workbench/currentPoint.ts';
import { currentText } from '../workbench/pointText.ts';
import { type Frame, markerX } from './plotFrame.ts';

const INK = '#1c2330';
const R = 9;

function Label(props: { x: number; y: number; anchor: 'start' | 'end'; text: string }) {
  return (
    <text
      x={props.x}
      y={props.y}
      textAnchor={props.anchor}
      fontSize={12}
      fontWeight={600}
      fill={INK}
      stroke="#ffffff"
      strokeWidth={3}
      paintOrder="stroke"
      data-testid="current-marker-label"
    >
      {props.text}
    </text>
  );
}

export function CurrentMarker({
  f,
  marker,
  spec,
}: {
  f: Frame;
  marker: CurrentPoint;
  spec: ChartSpec;
}) {
  const { box } = f;
  const mx = markerX(spec, marker);
  const known = Number.isFinite(mx);
  const attrs = {
    'data-testid': 'current-marker',
    'data-kind': known ? marker.kind : 'none',
    'data-accuracy': marker.accuracy === null ? '' : marker.accuracy.toFixed(2),
    'data-x': known ? mx.toFixed(4) : '',
    'data-bits': marker.config.bits,
    'data-rate': marker.rate === null ? '' : marker.rate.toFixed(2),
  };
  const title = <title>{currentText(marker)}</title>;
  if (!known) {
    return (
      <g {...attrs}>
        {title}
        <Label
          x={box.left + 6}
          y={box.top + 14}
          anchor="start"
          text={`you are here: no ${spec.id === 'latency' ? 'latency ' : ''}estimate`}
        />
      </g>
    );
  }
  const px = f.x(mx);
  const anchor = px > (box.left + box.right) / 2 ? 'end' : 'start';
  const labelX = anchor === 'end' ? px - 6 : px + 6;
  if (marker.accuracy === null) {
    return (
      <g {...attrs}>
        {title}
        <line
          x1={px}
          x2={px}
          y1={box.top}
          y2={box.bottom}
          stroke={INK}
          strokeWidth={1.5}
          strokeDasharray="3 3"
        />
        <Label x={labelX} y={box.top + 14} anchor={anchor} text="you are here · no estimate" />
      </g>
    );
  }
  const py = Math.min(box.bottom, Math.max(box.top, f.y(marker.accuracy)));
  const measured = marker.kind === 'measured';
  const text = measured
    ? `${marker.accuracy.toFixed(1)} % measured`
    : `estimate ≈ ${marker.accuracy.toFixed(1)} %`;
  return (
    <g {...attrs} pointerEvents="none">
      {title}
      <circle
        cx={px}
        cy={py}
        r={R}
        fill={measured ? 'rgba(28,35,48,0.12)' : 'none'}
        stroke={INK}
        strokeWidth={2}
        strokeDasharray={measured ? undefined : '3 2'}
      />
      {[0, 90, 180, 270].map((deg) => {
        const a = (deg * Math.PI) / 180;
        return (
          <line
            key={deg}
            x1={px + R * Math.cos(a)}
            y1={py + R * Math.sin(a)}
            x2={px + (R + 5) * Math.cos(a)}
            y2={py + (R + 5) * Math.sin(a)}
            stroke={INK}
            strokeWidth={2}
          />
        );
      })}
      <Label x={labelX} y={py < box.top + 30 ? py + 26 : py - 16} anchor={anchor} text={text} />
    </g>
  );
}
