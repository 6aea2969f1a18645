import {
  CartesianGrid,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { type ChartPoint, type ChartSeries, chartSeries } from '../workbench/chartData.ts';
import { useSession, useWorkbench } from '../workbench/store.ts';
import { SweepControls, SweepGrid } from './SweepControls.tsx';

interface ChartSpec {
  title: string;
  x: keyof ChartPoint;
  y: keyof ChartPoint;
  xLabel: string;
  yLabel: string;
  reference: boolean;
}

const CHARTS: ChartSpec[] = [
  {
    title: 'Accuracy vs BOP %',
    x: 'bopPercent',
    y: 'accuracy',
    xLabel: 'BOP %',
    yLabel: 'top-1 %',
    reference: true,
  },
  {
    title: 'Accuracy vs size',
    x: 'sizeKb',
    y: 'accuracy',
    xLabel: 'size (KB)',
    yLabel: 'top-1 %',
    reference: true,
  },
  {
    title: 'Mean layer error vs rate',
    x: 'rate',
    y: 'meanError',
    xLabel: 'rate',
    yLabel: 'rel. error',
    reference: false,
  },
];

function Chart({
  spec,
  series,
  floatAccuracy,
}: {
  spec: ChartSpec;
  series: ChartSeries[];
  floatAccuracy: number | null;
}) {
  const visible = series
    .map((s) => ({
      ...s,
      points: s.points.filter((p) => Number.isFinite(p[spec.x]) && Number.isFinite(p[spec.y])),
    }))
    .filter((s) => s.points.length > 0);
  return (
    <figure className="chart">
      <figcaption>{spec.title}</figcaption>
      {visible.length === 0 ? (
        <div className="chart-empty muted small">No points yet</div>
      ) : (
        <ResponsiveContainer width="100%" height={320}>
          <ScatterChart margin={{ top: 8, right: 16, bottom: 24, left: 4 }}>
            <CartesianGrid stroke="#e3e6eb" />
            <XAxis
              type="number"
              dataKey={spec.x}
              name={spec.xLabel}
              domain={['auto', 'auto']}
              label={{ value: spec.xLabel, position: 'insideBottom', offset: -12 }}
            />
            <YAxis
              type="number"
              dataKey={spec.y}
              name={spec.yLabel}
              domain={['auto', 'auto']}
              width={56}
            />
            <Tooltip cursor={{ strokeDasharray: '3 3' }} />
            <Legend verticalAlign="bottom" wrapperStyle={{ fontSize: 12, paddingTop: 28 }} />
            {spec.reference && floatAccuracy !== null && (
              <ReferenceLine
                ifOverflow="extendDomain"
                y={floatAccuracy}
                stroke="#667085"
                strokeDasharray="5 4"
                label={{
                  value: `float ${floatAccuracy.toFixed(2)} %`,
                  position: 'insideTopRight',
                  fontSize: 11,
                }}
              />
            )}
            {visible.map((s) => (
              <Scatter
                legendType={s.shape}
                key={s.name}
                name={s.name}
                data={s.points}
                fill={s.color}
                line={s.line}
                shape={s.shape}
                isAnimationActive={false}
              />
            ))}
          </ScatterChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

/** The trade-off curves: sweep series per method, the user's runs, the float model as a line. */
export function TradeoffCharts({ model }: { model: ModelOverview }) {
  const results = useWorkbench((s) => s.results);
  const sweepRows = useWorkbench((s) => s.sweepRows);
  const baselines = useWorkbench((s) => s.baselines);
  const data = useSession((s) => s.datasets.evaluation);
  const { series, floatAccuracy, precomputed } = chartSeries(
    model,
    results,
    sweepRows,
    baselines,
    data?.dataHash ?? null,
  );
  return (
    <section className="panel" aria-labelledby="charts-title">
      <div className="panel-head">
        <h2 id="charts-title">Trade-offs</h2>
        <SweepControls />
      </div>
      <SweepGrid model={model} />
      {precomputed && (
        <p className="muted small" data-testid="charts-precomputed">
          Curves measured in advance on these images ({precomputed}); latency there is Node's. “Run
          baseline sweep” measures them again in this browser.
        </p>
      )}
      <div className="charts">
        {CHARTS.map((spec) => (
          <Chart key={spec.title} spec={spec} series={series} floatAccuracy={floatAccuracy} />
        ))}
      </div>
    </section>
  );
}
