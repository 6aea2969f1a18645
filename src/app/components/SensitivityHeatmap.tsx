// Layers down, options across: the relative error of the model's scores when only that layer is
// compressed that way (darker is worse). A click gives the layer that option.
import type { OptionSensitivity, SensitivityTable } from '../../core/allocate/index.ts';
import { keepLayer, setOverrides } from '../workbench/allocationStore.ts';
import { useWorkbench } from '../workbench/store.ts';

function choose(layer: string, o: OptionSensitivity): void {
  if (o.option === 'keep') {
    keepLayer(layer, true);
    return;
  }
  const current = useWorkbench.getState().settings.overrides ?? {};
  setOverrides({ ...current, [layer]: { rate: o.option.rate, bits: o.option.bits } });
}

/** 'r2 w4' from 'admm-r2-w4'. */
function shortId(id: string): string {
  return id.replace(/^admm-/, '').replace(/-/g, ' ');
}

export function SensitivityHeatmap({ table }: { table: SensitivityTable }) {
  const ids = table.layers[0]?.options.map((o) => o.id) ?? [];
  const worst = Math.max(1e-9, ...table.layers.flatMap((l) => l.options.map((o) => o.scoreError)));
  return (
    <div className="table-scroll">
      <table className="heatmap" data-testid="sensitivity-heatmap">
        <thead>
          <tr>
            <th>Layer</th>
            {ids.map((id) => (
              <th key={id}>{shortId(id)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.layers.map((l) => (
            <tr key={l.name}>
              <td className="layer-name" title={l.name}>
                {l.name}
              </td>
              {l.options.map((o) => {
                const level = Math.sqrt(o.scoreError / worst);
                return (
                  <td key={o.id} className="num">
                    <button
                      type="button"
                      className="heat-cell"
                      style={{ background: `rgba(200, 60, 40, ${level.toFixed(3)})` }}
                      title={`${l.name}, ${o.id}: score error ${o.scoreError.toFixed(4)}, KL ${o.kl.toFixed(4)}, agreement ${(100 * o.agreement).toFixed(1)} %; click to use`}
                      onClick={() => choose(l.name, o)}
                    >
                      {o.scoreError.toFixed(3)}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
