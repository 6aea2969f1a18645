// "stored: 1.2 MB · Clear": the compressed models kept in the browser for instant downloads
// after a reload, and why one could not be kept.
import { useEffect } from 'react';
import { formatBytes } from '../format.ts';
import {
  clearStoredModels,
  refreshStoredModels,
  useStoredModels,
} from '../workbench/modelStore.ts';

export function StoredModels() {
  const { bytes, count, error } = useStoredModels();
  useEffect(() => {
    void refreshStoredModels();
  }, []);
  return (
    <span className="stored-models small muted">
      <span
        data-testid="stored-models"
        title="Compressed models of your runs kept in this browser, so a download after a reload is instant; the least recently used go first when space runs out"
      >
        stored: {formatBytes(bytes)} ({count} {count === 1 ? 'model' : 'models'})
      </span>
      {count > 0 && (
        <button
          type="button"
          className="button-link"
          onClick={() => void clearStoredModels()}
          data-testid="clear-stored-models"
        >
          Clear
        </button>
      )}
      {error && (
        <span className="field-error" role="alert" data-testid="stored-models-error">
          {error}
        </span>
      )}
    </span>
  );
}
