import { formatBytes } from '../format.ts';
import { useAppStore } from '../store.ts';

const labels = {
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
    status === 'reading'
      ? `${formatBytes(loaded)} of ${formatBytes(total)}`
      : 'in a background worker';
  return (
    <section className="loading">
      <div className="loading-text">
        {/* Only the step is announced; the byte count changes ten times a second. */}
        <strong aria-live="polite">
          {labels[status]} {fileName}…
        </strong>
        <span className="muted">{detail}</span>
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
