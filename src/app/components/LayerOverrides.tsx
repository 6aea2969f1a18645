// The layer table's per-layer settings (issue #15, item 3): rate or rank, bits, keep and reset
// per layer; an empty field takes the global value, shown as its placeholder.
import { keepLayer, resetLayer, setLayerField } from '../workbench/allocationStore.ts';
import {
  type CompressSettings,
  isFactorizingMethod,
  isQuantizingMethod,
} from '../workbench/settings.ts';
import { useWorkbench } from '../workbench/store.ts';

const BITS = [2, 3, 4, 5, 6, 7, 8];

/** Column headers of the override cells for the settings' method. */
export function overrideHeaders(s: CompressSettings): string[] {
  const size = isFactorizingMethod(s.method) ? [s.sizeBy === 'rank' ? 'Rank' : 'Rate'] : [];
  const bits = isQuantizingMethod(s.method) ? ['Bits'] : [];
  return [...size, ...bits, 'Keep', 'Reset'];
}

function SizeInput({ name, s }: { name: string; s: CompressSettings }) {
  const override = s.overrides?.[name];
  const fields = override && override !== 'keep' ? override : {};
  // The layer's own size decides the field (a budget gives rates even when the global is a rank).
  const byRank = fields.rank !== undefined || (fields.rate === undefined && s.sizeBy === 'rank');
  const value = byRank ? fields.rank : fields.rate;
  const key = byRank ? 'rank' : 'rate';
  const global = s.sizeBy === 'rank' ? s.rank : s.rate;
  return (
    <td>
      <input
        className="override-input"
        type="number"
        min={1}
        step={byRank ? 1 : 0.1}
        disabled={override === 'keep'}
        value={value ?? ''}
        placeholder={String(global)}
        aria-label={`${byRank ? 'Rank' : 'Rate'} for ${name}`}
        onChange={(e) => {
          const text = e.target.value.trim();
          const n = Number(text);
          if (text === '') setLayerField(name, key, undefined);
          else if (Number.isFinite(n) && n > 0) {
            setLayerField(name, key, byRank ? Math.max(1, Math.round(n)) : n);
          }
        }}
      />
    </td>
  );
}

function BitsSelect({ name, s }: { name: string; s: CompressSettings }) {
  const override = s.overrides?.[name];
  const bits = override && override !== 'keep' ? override.bits : undefined;
  return (
    <td>
      <select
        className="override-input"
        value={bits ?? ''}
        disabled={override === 'keep'}
        aria-label={`Bits for ${name}`}
        onChange={(e) =>
          setLayerField(name, 'bits', e.target.value === '' ? undefined : Number(e.target.value))
        }
      >
        <option value="">{s.bits} (global)</option>
        {BITS.map((b) => (
          <option key={b} value={b}>
            {b}
          </option>
        ))}
      </select>
    </td>
  );
}

/** The override cells of one row; blank cells for a layer the method cannot compress. */
export function LayerOverrideCells({ name, eligible }: { name: string; eligible: boolean }) {
  const s = useWorkbench((st) => st.settings);
  const headers = overrideHeaders(s);
  if (!eligible) return headers.map((h) => <td key={h} />);
  const override = s.overrides?.[name];
  return (
    <>
      {isFactorizingMethod(s.method) && <SizeInput name={name} s={s} />}
      {isQuantizingMethod(s.method) && <BitsSelect name={name} s={s} />}
      <td>
        <input
          type="checkbox"
          checked={override === 'keep'}
          aria-label={`Keep ${name}`}
          title="Leave this layer as the layers that are not compressed"
          onChange={(e) => keepLayer(name, e.target.checked)}
        />
      </td>
      <td>
        <button
          type="button"
          className="chip"
          disabled={override === undefined}
          aria-label={`Reset ${name} to global`}
          title="Reset to the global settings"
          onClick={() => resetLayer(name)}
        >
          ↺
        </button>
      </td>
    </>
  );
}
