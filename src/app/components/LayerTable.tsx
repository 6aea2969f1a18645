import { useMemo } from 'react';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { formatCount, formatMacs, formatShape, formatShare } from '../format.ts';
import { sortLayers } from '../layerSort.ts';
import { type LayerSortKey, sortLayersBy, useAppStore } from '../store.ts';
import { eligibleLayers } from '../workbench/settings.ts';
import { type ResultRow, updateSettings, useSession, useWorkbench } from '../workbench/store.ts';
import { AllocationControls } from './AllocationControls.tsx';
import { LayerOverrideCells, overrideHeaders } from './LayerOverrides.tsx';
import {
  LayerSensitivityCells,
  SENSITIVITY_HEADERS,
  useLayerShares,
  useModelTable,
  worstError,
} from './LayerSensitivity.tsx';
import { QuantizedOnlyRows, quantizedOnlyLayers } from './QuantizedOnlyRows.tsx';
import { SensitivityPanel } from './SensitivityPanel.tsx';

const columns: { key: LayerSortKey | null; label: string; numeric?: boolean }[] = [
  { key: 'index', label: '#', numeric: true },
  { key: 'name', label: 'Layer' },
  { key: 'op', label: 'Op' },
  { key: null, label: 'Weight shape' },
  { key: 'params', label: 'Params', numeric: true },
  { key: 'macs', label: 'MACs', numeric: true },
  { key: null, label: 'Share of MACs' },
  { key: 'factorizable', label: 'Factorizable' },
];

function SortHeader({ column }: { column: (typeof columns)[number] }) {
  const sort = useAppStore((s) => s.layerSort);
  const className = column.numeric ? 'num' : undefined;
  if (!column.key) return <th className={className}>{column.label}</th>;
  const key = column.key;
  const active = sort.key === key;
  const direction = sort.descending ? 'descending' : 'ascending';
  const mark = (
    <span className="sort-mark" aria-hidden="true">
      {active ? (sort.descending ? '▼' : '▲') : ''}
    </span>
  );
  // The mark sits on the inner side so numeric headers stay aligned with their numbers.
  return (
    <th className={className} aria-sort={active ? direction : 'none'}>
      <button type="button" className="sort-button" onClick={() => sortLayersBy(key)}>
        {column.numeric && mark}
        {column.label}
        {!column.numeric && mark}
      </button>
    </th>
  );
}

/** The layer's box in "Selected in table" mode; only layers the method can compress have one. */
function LayerPick({ name, eligible }: { name: string; eligible: boolean }) {
  const selected = useWorkbench((s) => s.settings.selectedLayers.includes(name));
  if (!eligible) return <td />;
  const toggle = () => {
    const current = useWorkbench.getState().settings.selectedLayers;
    updateSettings({
      selectedLayers: selected ? current.filter((n) => n !== name) : [...current, name],
    });
  };
  return (
    <td>
      <input type="checkbox" checked={selected} aria-label={`Compress ${name}`} onChange={toggle} />
    </td>
  );
}

/**
 * The result row the user clicked (on a chart point or in the results table): its per-layer
 * errors show in the table (issue #16 item 1). Null without a selection.
 */
function useSelectedRow(): ResultRow | null {
  const id = useSession((s) => s.chartSelection.resultId);
  return useWorkbench((s) => (id ? (s.results.find((r) => r.id === id) ?? null) : null));
}

/** Every conv/dense layer: what it costs and whether it can be factorized. Sortable. */
export function LayerTable({ model }: { model: ModelOverview }) {
  const sort = useAppStore((s) => s.layerSort);
  const rows = useMemo(() => sortLayers(model.layers, sort), [model.layers, sort]);
  const totalMacs = model.summary.macs;
  // Bars are scaled to the largest layer so small differences stay visible.
  const maxMacs = Math.max(0, ...model.layers.map((l) => l.macs ?? 0));
  const settings = useWorkbench((s) => s.settings);
  const picking = settings.layerMode === 'selected';
  const shares = useLayerShares(model, settings);
  const table = useModelTable(model);
  const worst = worstError(table);
  const selected = useSelectedRow();
  const selectedErrors = useMemo(
    () => new Map((selected?.layers ?? []).map((l) => [l.name, l.error])),
    [selected],
  );
  const fixed = useMemo(() => quantizedOnlyLayers(model), [model]);
  const eligible = useMemo(
    () => new Set(eligibleLayers(model.layers, settings.method).map((l) => l.name)),
    [model.layers, settings.method],
  );
  return (
    <section className="panel" aria-labelledby="layers-title">
      <div className="panel-head">
        <h2 id="layers-title">Layers</h2>
        <span className="muted">
          {formatCount(model.layers.length)} with weights
          {fixed.length > 0 && ` (+${formatCount(fixed.length)} quantized only)`}
        </span>
      </div>
      <AllocationControls layers={model.layers} />
      <SensitivityPanel model={model} />
      <div className="table-scroll">
        <table className="layer-table">
          <thead>
            <tr>
              {picking && <th>Use</th>}
              {columns.map((column) => (
                <SortHeader key={column.label} column={column} />
              ))}
              {SENSITIVITY_HEADERS.map((h) => (
                <th key={h}>{h}</th>
              ))}
              {overrideHeaders(settings).map((h) => (
                <th key={`override-${h}`}>{h}</th>
              ))}
              {selected && (
                <th
                  className="num"
                  title="Relative weight error of each layer in the selected run (the point or row last clicked)"
                >
                  Error (selected run)
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map(({ index, layer }) => {
              const share = layer.macs !== null && totalMacs ? layer.macs / totalMacs : null;
              return (
                <tr key={`${index}:${layer.name}`}>
                  {picking && <LayerPick name={layer.name} eligible={eligible.has(layer.name)} />}
                  <td className="num muted">{index + 1}</td>
                  <td className="layer-name" title={layer.name}>
                    {layer.name}
                  </td>
                  <td>
                    <span className="op">{layer.op}</span>
                  </td>
                  <td className="shape">{formatShape(layer.weightShape)}</td>
                  <td className="num">{formatCount(layer.params)}</td>
                  <td
                    className="num"
                    title={layer.macs === null ? undefined : formatCount(layer.macs)}
                  >
                    {formatMacs(layer.macs)}
                  </td>
                  <td>
                    <div className="share">
                      <div className="share-track">
                        <div
                          className="share-fill"
                          style={{ width: `${maxMacs ? ((layer.macs ?? 0) / maxMacs) * 100 : 0}%` }}
                        />
                      </div>
                      <span>{formatShare(share)}</span>
                    </div>
                  </td>
                  <td>
                    {layer.factorizable ? (
                      <span className="tag tag-ok">yes</span>
                    ) : (
                      <span className="muted small">{layer.reason || 'no'}</span>
                    )}
                  </td>
                  <LayerSensitivityCells
                    name={layer.name}
                    table={table}
                    worst={worst}
                    shares={shares}
                    settings={settings}
                  />
                  <LayerOverrideCells name={layer.name} eligible={eligible.has(layer.name)} />
                  {selected && (
                    <td className="num" data-testid="selected-layer-error">
                      {selectedErrors.has(layer.name) ? (
                        selectedErrors.get(layer.name)!.toFixed(3)
                      ) : (
                        <span className="muted small">kept</span>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
            <QuantizedOnlyRows
              layers={fixed}
              lead={picking ? 1 : 0}
              tail={
                SENSITIVITY_HEADERS.length + overrideHeaders(settings).length + (selected ? 1 : 0)
              }
              otherBits={settings.otherBits}
            />
          </tbody>
        </table>
      </div>
    </section>
  );
}
