import { formatBytes } from '../format.ts';
import { cancelModelOpen } from '../modelActions.ts';
import { useAppStore } from '../store.ts';
import { cancelDemo } from '../workbench/demoActions.ts';

const labels = {
  downloading: 'Downloading',
  reading: 'Reading',
  parsing: 'Parsing',
  inferring: 'Inferring shapes of',
} as const;

/** Progress of the current load: a bar while reading the file, then an indeterminate "parsing…". */
export function LoadingBar() {
  const loading = useAppStore((s) => s.loading);
  if (!loading) return null;
  const { status, fileName, loaded, total, progress } = loading;
  const percent = progress === null ? null : Math.round(progress * 100);
  const detail =
    status === 'reading' || status === 'downloading'
      ? `${formatBytes(loaded)} of ${formatBytes(total)}`
      : 'in a background worker';
  return (
    <section className="loading">
      <div className="loading-text">
        {/* Only the step is announced; the byte count changes ten times a second. */}
        <strong aria-live="polite">
          {labels[status]} {fileName}…
        </strong>
        <span className="loading-actions">
          <span className="muted">{detail}</span>
          {status !== 'inferring' && (
            <button
              type="button"
              className="button button-small"
              onClick={status === 'downloading' ? cancelDemo : cancelModelOpen}
            >
              Cancel
            </button>
          )}
        </span>
      </div>
      <div
        className={percent === null ? 'progress progress-indeterminate' : 'progress'}
        role="progressbar"
        aria-label={`${labels[status]} ${fileName}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
      >
        <div
          className="progress-fill"
          style={percent === null ? undefined : { width: `${percent}%` }}
        />
      </div>
    </section>
  );
}
