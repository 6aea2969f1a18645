// Above the layer table: pick all or none of the layers, and reset every per-layer override.

import type { LayerInfo } from '../../core/onnx/index.ts';
import { activeOverrides } from '../workbench/allocation.ts';
import { resetAllOverrides, selectLayers } from '../workbench/allocationStore.ts';
import { eligibleLayers } from '../workbench/settings.ts';
import { useWorkbench } from '../workbench/store.ts';

export function AllocationControls({ layers }: { layers: readonly LayerInfo[] }) {
  const s = useWorkbench((st) => st.settings);
  const eligible = eligibleLayers(layers, s.method).map((l) => l.name);
  const active = Object.values(activeOverrides(layers, s));
  const kept = active.filter((o) => o === 'keep').length;
  const changed = active.length - kept;
  return (
    <div className="allocation-controls" data-testid="allocation-controls">
      <button type="button" className="chip" onClick={() => selectLayers(eligible)}>
        Select all
      </button>
      <button type="button" className="chip" onClick={() => selectLayers([])}>
        Select none
      </button>
      <button
        type="button"
        className="chip"
        disabled={Object.keys(s.overrides ?? {}).length === 0}
        onClick={resetAllOverrides}
      >
        Reset all to global
      </button>
      <span className="muted small" data-testid="override-count">
        {active.length === 0
          ? 'every layer takes the global settings'
          : `${changed} layer${changed === 1 ? '' : 's'} set apart, ${kept} kept`}
      </span>
    </div>
  );
}
