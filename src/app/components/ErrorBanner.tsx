import { dismissError, useAppStore } from '../store.ts';

/** The current user-facing error, announced to screen readers. */
export function ErrorBanner() {
  const error = useAppStore((s) => s.error);
  if (!error) return null;
  return (
    <div className="error-banner" role="alert">
      <span>{error}</span>
      <button
        type="button"
        className="button-link"
        onClick={dismissError}
        aria-label="Dismiss error"
      >
        Dismiss
      </button>
    </div>
  );
}
