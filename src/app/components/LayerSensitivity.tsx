// Two layer-table columns (issue #15): the layer's measured sensitivity (relative error of the
// model's scores with only this layer compressed, at its current setting) as a bar, and its share
// of the model's BOPs and weight bytes under the current settings.
import { useMemo } from 'react';
import { optionId, type SensitivityTable } from '../../core/allocate/index.ts';
import { computeCosts } from '../../core/cost/costModel.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { useAllocation } from '../workbench/allocationStore.ts';
import { modelKey } from '../workbench/pipeline.ts';
import { type CompressSettings, costChoices, layerJobSettings } from '../workbench/settings.ts';

export const SENSITIVITY_HEADERS = ['Sensitivity', 'Cost share (BOPs · bytes)'];

export interface LayerShares {
  bops: Map<string, number>;
  bytes: Map<string, number>;
}

/** Each layer's share of the model's BOPs and ideal weight bytes under the settings. */
export function useLayerShares(model: ModelOverview, s: CompressSettings): LayerShares {
  return useMemo(() => {
    const { choices } = costChoices(model.layers, s);
    const costs = computeCosts(model.layers, choices, {
      actBits: s.actBits,
      otherWeightBits: s.otherBits,
    });
    const t = costs.totals;
    const bops = new Map<string, number>();
    const bytes = new Map<string, number>();
    model.layers.forEach((l, i) => {
      bops.set(l.name, t.bops ? costs.layers[i].bops / t.bops : 0);
      bytes.set(
        l.name,
        t.idealWeightBytes ? costs.layers[i].idealWeightBytes / t.idealWeightBytes : 0,
      );
    });
    return { bops, bytes };
  }, [model.layers, s]);
}

/** The measured table of this model, or null. */
export function useModelTable(model: ModelOverview): SensitivityTable | null {
  const table = useAllocation((st) => st.table);
  const key = useAllocation((st) => st.modelKey);
  return table && key === modelKey(model) ? table : null;
}

/** The layer's score error at its current setting; else the mean over measured options. */
function sensitivityOf(table: SensitivityTable, name: string, s: CompressSettings) {
  const layer = table.layers.find((l) => l.name === name);
  if (!layer) return null;
  const job = layerJobSettings(s, name);
  const id = job
    ? optionId({
        method: job.method,
        rate: job.rank === undefined ? job.rate : undefined,
        rank: job.rank,
        bits: job.bits,
      })
    : 'keep';
  const exact = layer.options.find((o) => o.id === id);
  if (exact) return { value: exact.scoreError, what: `at ${id}` };
  const others = layer.options.filter((o) => o.option !== 'keep');
  if (!others.length) return null;
  const mean = others.reduce((a, o) => a + o.scoreError, 0) / others.length;
  return { value: mean, what: `mean over ${others.length} measured options (${id} not measured)` };
}

const pct = (v: number | undefined) => `${(100 * (v ?? 0)).toFixed(1)} %`;

export function LayerSensitivityCells(props: {
  name: string;
  table: SensitivityTable | null;
  worst: number;
  shares: LayerShares;
  settings: CompressSettings;
}) {
  const { name, table, shares } = props;
  const measured = table && sensitivityOf(table, name, props.settings);
  return (
    <>
      <td>
        {measured ? (
          <div
            className="share"
            data-testid="layer-sensitivity"
            title={`relative score error ${measured.value.toFixed(4)} ${measured.what}`}
          >
            <div className="share-track">
              <div
                className="share-fill sensitivity-fill"
                style={{ width: `${Math.min(100, (100 * measured.value) / props.worst)}%` }}
              />
            </div>
            <span>{measured.value.toFixed(3)}</span>
          </div>
        ) : (
          <span className="muted small">—</span>
        )}
      </td>
      <td className="num small">
        {pct(shares.bops.get(name))} · {pct(shares.bytes.get(name))}
      </td>
    </>
  );
}

/** The largest score error of the table (the bars' scale). */
export function worstError(table: SensitivityTable | null): number {
  if (!table) return 1;
  return Math.max(1e-9, ...table.layers.flatMap((l) => l.options.map((o) => o.scoreError)));
}
