import { dismissStorageNotice, useStorageNotice } from '../storage.ts';
import { clearStoredResults } from '../workbench/store.ts';

function clearAndDismiss(): void {
  clearStoredResults();
  dismissStorageNotice();
}

/** A browser-storage problem (full, or disabled), shown once per session by storage.ts. */
export function StorageNotice() {
  const { message, canClear } = useStorageNotice();
  if (!message) return null;
  return (
    <div className="error-banner" role="status" data-testid="storage-notice">
      <span>{message}</span>
      <span className="loading-actions">
        {canClear && (
          <button type="button" className="button button-small" onClick={clearAndDismiss}>
            Clear stored results
          </button>
        )}
        <button
          type="button"
          className="button-link"
          onClick={dismissStorageNotice}
          aria-label="Dismiss storage notice"
        >
          Dismiss
        </button>
      </span>
    </div>
  );
}
