import type { PreprocessSpec } from '../../core/data/types.ts';
import { updateEvalSettings } from '../workbench/store.ts';

function numbers(text: string): number[] | null {
  const values = text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  return values.length > 0 && values.every(Number.isFinite) ? values : null;
}

/**
 * The preprocessing spec as editable fields; `guessed` is what the model input suggests, shown
 * until the user changes something (then the override is kept and can be reset).
 */
export function PreprocessForm({ spec, custom }: { spec: PreprocessSpec; custom: boolean }) {
  const set = (patch: Partial<PreprocessSpec>) =>
    updateEvalSettings({ spec: { ...spec, ...patch } });
  return (
    <fieldset className="spec-form">
      <legend>
        Preprocessing{' '}
        {custom ? (
          <span className="tag">custom</span>
        ) : (
          <span className="muted small">(guessed from the model input)</span>
        )}
      </legend>
      <label>
        Size
        <input
          type="number"
          min={1}
          value={spec.width}
          aria-label="Input width"
          onChange={(e) => set({ width: Number(e.target.value), height: Number(e.target.value) })}
        />
      </label>
      <label>
        Scale
        <input
          type="number"
          step="any"
          value={spec.scale}
          aria-label="Pixel scale"
          onChange={(e) => set({ scale: Number(e.target.value) })}
        />
      </label>
      <label>
        Mean
        <input
          defaultValue={spec.mean.join(', ')}
          aria-label="Mean per channel"
          onBlur={(e) => {
            const mean = numbers(e.target.value);
            if (mean) set({ mean });
          }}
        />
      </label>
      <label>
        Std
        <input
          defaultValue={spec.std.join(', ')}
          aria-label="Std per channel"
          onBlur={(e) => {
            const std = numbers(e.target.value);
            if (std) set({ std });
          }}
        />
      </label>
      <label>
        Layout
        <select
          value={spec.layout}
          onChange={(e) => set({ layout: e.target.value as PreprocessSpec['layout'] })}
        >
          <option>NCHW</option>
          <option>NHWC</option>
        </select>
      </label>
      <label>
        Channels
        <select
          value={spec.channelOrder}
          onChange={(e) => set({ channelOrder: e.target.value as PreprocessSpec['channelOrder'] })}
        >
          <option>RGB</option>
          <option>BGR</option>
        </select>
      </label>
      {custom && (
        <button
          type="button"
          className="button-link"
          onClick={() => updateEvalSettings({ spec: null })}
        >
          Reset to guessed
        </button>
      )}
    </fieldset>
  );
}
