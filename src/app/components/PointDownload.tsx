// "Download this model" beside the clicked point: its run's model, or a build from cached layers.
import { useState } from 'react';
import type { ChartPoint } from '../workbench/chartData.ts';
import { errorMessage } from '../workbench/datasetActions.ts';
import { cancelPointBuild, downloadPointModel } from '../workbench/pointDownload.ts';
import { shortName } from '../workbench/pointText.ts';
import { isBusy, useSession } from '../workbench/store.ts';

export function PointDownload({ points }: { points: readonly ChartPoint[] }) {
  const selectedId = useSession((s) => s.chartSelection.pointId);
  const busy = useSession((s) => isBusy(s.run));
  const [working, setWorking] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const point = points.find((p) => p.id === selectedId);
  if (!point) return null;
  const download = () => {
    setMessage(null);
    setWorking(true);
    downloadPointModel(point)
      .catch((e) => setMessage(errorMessage(e)))
      .finally(() => setWorking(false));
  };
  return (
    <p className="point-download small" data-testid="point-download">
      <span>
        Clicked: {shortName(point)} ({point.source === 'run' ? 'your run' : 'sweep point'})
      </span>
      <button
        type="button"
        className="button button-small"
        disabled={working || busy}
        onClick={download}
        title="The run's model when kept; otherwise built from the layers this session already computed (factorizing only those it has not)"
      >
        Download this model
      </button>
      {working && (
        <button type="button" className="button-link" onClick={cancelPointBuild}>
          Cancel
        </button>
      )}
      {message && (
        <span className="field-error" role="alert">
          {message}
        </span>
      )}
    </p>
  );
}
