// Ordering of the layer table. Unknown MACs sort last whichever way, so they never hide the
// layers that matter.
import type { LayerInfo } from '../core/onnx/index.ts';
import type { LayerSort } from './store.ts';

export interface LayerRow {
  /** Position in the graph (the order the layers run in). */
  index: number;
  layer: LayerInfo;
}

function compareBy(key: LayerSort['key'], a: LayerRow, b: LayerRow): number {
  switch (key) {
    case 'index':
      return a.index - b.index;
    case 'name':
      return a.layer.name.localeCompare(b.layer.name);
    case 'op':
      return a.layer.op.localeCompare(b.layer.op);
    case 'params':
      return a.layer.params - b.layer.params;
    case 'macs':
      return (a.layer.macs ?? 0) - (b.layer.macs ?? 0);
    case 'factorizable':
      return Number(a.layer.factorizable) - Number(b.layer.factorizable);
  }
}

export function sortLayers(layers: readonly LayerInfo[], sort: LayerSort): LayerRow[] {
  const rows = layers.map((layer, index) => ({ index, layer }));
  const sign = sort.descending ? -1 : 1;
  return rows.sort((a, b) => {
    if (sort.key === 'macs' && (a.layer.macs === null) !== (b.layer.macs === null)) {
      return a.layer.macs === null ? 1 : -1;
    }
    // Graph order breaks ties, so equal rows keep a stable, meaningful order.
    return sign * compareBy(sort.key, a, b) || a.index - b.index;
  });
}
