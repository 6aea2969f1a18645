// The what-if costs of the compression panel: the cost model over the layer list, plus the
// weights a run quantizes only outside it (ConvTranspose, LSTM/GRU/RNN, layers in If/Loop/Scan
// bodies), at the other layers' bits, so the preview's size is the written file's.
import {
  type CostSummary,
  computeCosts,
  containerBits,
  FLOAT_BITS,
  quantizedOnlyBytes,
} from '../../core/cost/costModel.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { type CompressSettings, type CostChoices, costChoices } from './settings.ts';

export interface QuantizedOnlyCost {
  /** The nodes reading them, e.g. "up (main graph)". */
  layers: string[];
  params: number;
  bits: number;
  /** params * bits / 8: codes only, as the layers' idealWeightBytes. */
  idealWeightBytes: number;
  /** Codes plus one float32 scale per channel (the rewrite's note, the file's tensors). */
  bytesWithScales: number;
  floatWeightBytes: number;
}

export interface PreviewCosts {
  /** The layer list's costs (the report's totals are these). */
  costs: CostSummary;
  rankErrors: CostChoices['rankErrors'];
  quantizedOnly: QuantizedOnlyCost;
  /** Layers' ideal weight bytes plus the quantized-only weights'. */
  idealWeightBytes: number;
  /**
   * The same weights as the file stores them: codes in INT4/INT8 containers (3 bits take 4,
   * 5-7 take 8), so per-layer bit widths are predicted as well as uniform 4 or 8 bits.
   */
  storedWeightBytes: number;
  floatWeightBytes: number;
}

export function previewCosts(
  model: Pick<ModelOverview, 'layers' | 'quantizedOnly'>,
  settings: CompressSettings,
): PreviewCosts {
  const { choices, rankErrors } = costChoices(model.layers, settings);
  const costs = computeCosts(model.layers, choices, {
    actBits: settings.actBits,
    otherWeightBits: settings.otherBits,
  });
  const q = model.quantizedOnly ?? { layers: [], weights: 0, params: 0, channels: 0 };
  // The rewrite quantizes them only when the other layers are quantized (fixedWeights.ts).
  const bits = Math.min(settings.otherBits, FLOAT_BITS);
  const quantizedOnly: QuantizedOnlyCost = {
    layers: q.layers,
    params: q.params,
    bits,
    idealWeightBytes: (q.params * bits) / 8,
    bytesWithScales: quantizedOnlyBytes(q.params, q.channels, bits),
    floatWeightBytes: 4 * q.params,
  };
  return {
    costs,
    rankErrors,
    quantizedOnly,
    idealWeightBytes: costs.totals.idealWeightBytes + quantizedOnly.idealWeightBytes,
    storedWeightBytes: costs.totals.storedWeightBytes + (q.params * containerBits(bits)) / 8,
    floatWeightBytes: costs.totals.floatWeightBytes + quantizedOnly.floatWeightBytes,
  };
}
