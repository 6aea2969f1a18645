// The trade-off panel: the sweep grid, then one image set's measured points on three charts
// (accuracy vs compute, model size and latency) with one legend, the Pareto front, and the
// current settings as a "you are here" marker that follows the sliders.
import { memo, useCallback, useMemo, useRef } from 'react';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { selectPoint } from '../workbench/chartActions.ts';
import {
  type ChartModel,
  type ChartPoint,
  chartModel,
  evaluatedImages,
  imageSetKey,
  isShown,
  pickImageSet,
} from '../workbench/chartData.ts';
import { CHARTS, type ChartId } from '../workbench/chartSpecs.ts';
import { currentPoint } from '../workbench/currentPoint.ts';
import { currentText, imageSetLabel, pointCard } from '../workbench/pointText.ts';
import { type ChartView, patchChartView, useSession, useWorkbench } from '../workbench/store.ts';
import { toggled } from '../workbench/sweepGrid.ts';
import { ChartExports, fileBase, PointExports } from './ChartExports.tsx';
import { ChartLegend } from './ChartLegend.tsx';
import { PointDownload } from './PointDownload.tsx';
import { SweepControls, SweepGrid } from './SweepControls.tsx';
import { TradeoffPlot } from './TradeoffPlot.tsx';

function toggleLegend(key: string): void {
  patchChartView({ hidden: toggled(useWorkbench.getState().chartView.hidden, key) });
}

type Loaded = { dataHash: string; fileName: string } | null;

// Memoized: the sliders re-render this panel on every move, these parts need not follow.
const ViewControls = memo(function ViewControls(props: {
  data: ChartModel;
  setKey: string | null;
  loaded: Loaded;
  view: ChartView;
  model: ModelOverview;
}) {
  const { data, setKey, loaded, view } = props;
  return (
    <div className="chart-toolbar" data-testid="chart-toolbar">
      <label className="field-inline">
        <span className="field-label">Images</span>
        <select
          value={setKey ?? ''}
          aria-label="Image set"
          data-testid="image-set"
          disabled={data.sets.length < 2}
          onChange={(e) => patchChartView({ imageSet: e.target.value })}
        >
          {data.sets.map((s) => (
            <option key={s.key} value={s.key}>
              {imageSetLabel(s, loaded)} ({s.points} point{s.points === 1 ? '' : 's'})
            </option>
          ))}
        </select>
      </label>
      <label
        className="check"
        title="Show only the best trade-offs: points no other point beats on both accuracy and cost"
      >
        <input
          type="checkbox"
          checked={view.paretoOnly}
          onChange={(e) => patchChartView({ paretoOnly: e.target.checked })}
        />
        Pareto only
      </label>
      <label className="check" title="Also draw the best trade-offs of each method (colour)">
        <input
          type="checkbox"
          checked={view.frontPerMethod}
          onChange={(e) => patchChartView({ frontPerMethod: e.target.checked })}
        />
        Front per colour
      </label>
      <label
        className="check"
        title="Accuracy axis from 0 to 100 % instead of the range around the best points"
      >
        <input
          type="checkbox"
          checked={view.yFull}
          onChange={(e) => patchChartView({ yFull: e.target.checked })}
        />
        Full 0–100 %
      </label>
      <label className="check" title="Logarithmic axis for model size and compute">
        <input
          type="checkbox"
          checked={view.logX}
          onChange={(e) => patchChartView({ logX: e.target.checked })}
        />
        Log scale
      </label>
      <PointExports model={props.model} data={data} />
    </div>
  );
});

/** All the chart state derived from the store: one image set, its points, the marker. */
function useChartState(model: ModelOverview) {
  const results = useWorkbench((s) => s.results);
  const sweepRows = useWorkbench((s) => s.sweepRows);
  const baselines = useWorkbench((s) => s.baselines);
  const view = useWorkbench((s) => s.chartView);
  const settings = useWorkbench((s) => s.settings);
  const evalSettings = useWorkbench((s) => s.evalSettings);
  const evaluation = useSession((s) => s.datasets.evaluation);
  // Without a calibration set, a run calibrates on images set aside from the evaluation set
  // (pipeline.ts calibrationSource); without images, on the user's arrays (buildModel).
  const canCalibrate = useSession(
    (s) =>
      s.datasets.calibration !== null ||
      s.datasets.evaluation !== null ||
      s.inputArrays?.modelId === model.modelId,
  );
  const data = useMemo(
    () => chartModel(model, results, sweepRows, baselines),
    [model, results, sweepRows, baselines],
  );
  const current = evaluation
    ? imageSetKey(
        evaluation.dataHash,
        evaluatedImages(evaluation.count, evalSettings.subset, evalSettings.limit),
      )
    : null;
  const setKey = pickImageSet(data.sets, view.imageSet, current);
  const setPoints = useMemo(() => data.points.filter((p) => p.imageSet === setKey), [data, setKey]);
  const marker = useMemo(
    () =>
      setPoints.length > 0 ? currentPoint(model.layers, settings, canCalibrate, setPoints) : null,
    [model.layers, settings, canCalibrate, setPoints],
  );
  const loaded: Loaded = useMemo(
    () => (evaluation ? { dataHash: evaluation.dataHash, fileName: evaluation.fileName } : null),
    [evaluation],
  );
  return { data, view, setKey, setPoints, marker, loaded };
}

function Charts(props: {
  model: ModelOverview;
  state: ReturnType<typeof useChartState>;
  setLabel: string;
  /** The set's points are agreement with the original (runs on arrays), not accuracy. */
  agreement: boolean;
}) {
  const { model, setLabel, agreement } = props;
  const { data, view, setKey, setPoints, marker } = props.state;
  const selectedId = useSession((s) => s.chartSelection.pointId);
  const svgs = useRef<Partial<Record<ChartId, SVGSVGElement | null>>>({});
  // Stable between slider moves, so the charts redraw only the marker.
  const visible = useMemo(
    () => setPoints.filter((p) => isShown(p, view.hidden)),
    [setPoints, view.hidden],
  );
  const card = useCallback(
    (p: ChartPoint) => pointCard(p, model.layers, setLabel),
    [model.layers, setLabel],
  );
  return (
    <div className="charts">
      {CHARTS.map((spec) => (
        <figure key={spec.id} className="chart" data-chart={spec.id}>
          <figcaption>
            <span data-testid="chart-title">
              {agreement
                ? spec.title.replace('Accuracy', 'Agreement with the original')
                : spec.title}
            </span>
            <ChartExports
              spec={spec}
              svg={() => svgs.current[spec.id] ?? null}
              setLabel={setLabel}
              points={visible}
              base={fileBase(model.fileName)}
            />
          </figcaption>
          <TradeoffPlot
            spec={spec}
            points={visible}
            float={setKey ? (data.floats[setKey] ?? null) : null}
            marker={marker}
            view={view}
            selectedId={selectedId}
            onSelect={selectPoint}
            card={card}
            svgRef={(el) => {
              svgs.current[spec.id] = el;
            }}
          />
        </figure>
      ))}
    </div>
  );
}

export function TradeoffCharts({ model }: { model: ModelOverview }) {
  const state = useChartState(model);
  const { data, view, setKey, setPoints, marker, loaded } = state;
  const set = data.sets.find((s) => s.key === setKey) ?? null;
  const setLabel = set ? imageSetLabel(set, loaded) : '';
  return (
    <section className="panel" aria-labelledby="charts-title">
      <div className="panel-head">
        <h2 id="charts-title">Trade-offs</h2>
      </div>
      {data.points.length === 0 ? (
        <>
          <div className="chart-toolbar">
            <PointExports model={model} data={data} />
          </div>
          <p className="chart-empty muted small" data-testid="charts-empty">
            No measured points yet: “Compress & evaluate” with evaluation data, or “Run baseline
            sweep” below.
          </p>
        </>
      ) : (
        <>
          <ViewControls data={data} setKey={setKey} loaded={loaded} view={view} model={model} />
          {set?.precomputed && (
            <p className="muted small chart-note" data-testid="charts-precomputed">
              Points measured in advance on these images ({set.precomputed}); latency there is
              Node's. “Run baseline sweep” below measures them again in this browser.
            </p>
          )}
          {marker && (
            <p className="current-line small" data-testid="current-point" aria-live="polite">
              <strong>You are here:</strong> {currentText(marker, set?.measure)}
            </p>
          )}
          <PointDownload points={setPoints} />
          <ChartLegend points={setPoints} hidden={view.hidden} onToggle={toggleLegend} />
          {set?.measure === 'agreement' && (
            <p className="muted small chart-note" data-testid="charts-agreement">
              Runs on your arrays ({set.arraysSource}): no labels, so each point is its top-1 or
              pixel agreement with the original model on those samples, not an accuracy.
            </p>
          )}
          <Charts
            model={model}
            state={state}
            setLabel={setLabel}
            agreement={set?.measure === 'agreement'}
          />
        </>
      )}
      <div className="sweep-section">
        <div className="sweep-head">
          <h3>Measure more points</h3>
          <SweepControls model={model} />
        </div>
        <SweepGrid model={model} />
      </div>
    </section>
  );
}
