// What a click on a chart point does: its settings go into the compression panel, and the result
// row measured with them (the run itself, or a run with the same settings on the same images)
// is highlighted.
import type { ChartPoint } from './chartData.ts';
import { imageSetKey, settingsConfig } from './chartData.ts';
import { sameConfig } from './currentPoint.ts';
import { updateSettings, useSession, useWorkbench } from './store.ts';

export function selectPoint(p: ChartPoint): void {
  // A point without per-layer overrides (a sweep point, a uniform run) clears those in force.
  updateSettings({ overrides: {}, ...p.settings });
  const twin = useWorkbench
    .getState()
    .results.find(
      (r) =>
        r.evaluation !== null &&
        imageSetKey(r.dataHash, r.evaluation.images) === p.imageSet &&
        sameConfig(settingsConfig(r.settings, r.calibrated), p),
    );
  useSession.setState({
    chartSelection: { pointId: p.id, resultId: p.resultId ?? twin?.id ?? null },
  });
}
