// The data panel's slot for arrays (.npy per model input, or a .npz of them): for models that
// are not image classifiers, the written model is checked on the user's own inputs.
import { useRef } from 'react';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { loadInputArrays, unloadInputArrays } from '../workbench/inputArrays.ts';
import { useSession } from '../workbench/store.ts';

export function InputArraysSlot({ model }: { model: ModelOverview }) {
  const input = useRef<HTMLInputElement>(null);
  const arrays = useSession((s) =>
    s.inputArrays?.modelId === model.modelId ? s.inputArrays : null,
  );
  const error = useSession((s) =>
    s.inputArraysError?.modelId === model.modelId ? s.inputArraysError.text : null,
  );
  const names = model.summary.inputs.map((i) => `${i.name}.npy`).join(', ');
  return (
    <div className="dataset-slot" data-testid="dataset-arrays">
      <div className="dataset-head">
        <h3>Model inputs as arrays (optional)</h3>
        <button type="button" className="button" onClick={() => input.current?.click()}>
          Load input arrays
        </button>
        {arrays && (
          <button type="button" className="button-link" onClick={unloadInputArrays}>
            Remove
          </button>
        )}
      </div>
      <p className="muted small">
        For models that do not take images: one .npy per model input, named after it ({names}), or a
        .npz of them, samples first. The written model is checked on them, next to the original.
      </p>
      <input
        ref={input}
        type="file"
        accept=".npy,.npz"
        multiple
        hidden
        aria-label="Input arrays file"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          if (files.length) void loadInputArrays(files);
        }}
      />
      {arrays && (
        <p className="small" data-testid="dataset-arrays-summary">
          {arrays.fileNames.join(', ')}: {arrays.summary}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert" data-testid="dataset-arrays-error">
          {error}
        </p>
      )}
    </div>
  );
}
