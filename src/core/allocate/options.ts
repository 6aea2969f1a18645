// The menu of per-layer choices the sensitivity pass measures and the budget solver picks from.
// An option is exactly an allocation override (src/core/factor/modelJobs.ts): 'keep', or the
// settings that replace the global ones for one layer, so a solver's pick is written as is.
import { type CostLayer, type LayerChoice, layerCost } from '../cost/costModel.ts';
import { METHODS, type MethodId } from '../factor/methods/index.ts';
import type { QafScales } from '../factor/types.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import { groupCpDims, tryResolveRank } from '../util/rank.ts';

/** Compress the layer this way (a method of the registry with its rate or rank and bits). */
export interface CompressOption {
  method: MethodId;
  rate?: number;
  rank?: number;
  bits: number;
  perChannel?: boolean;
}

/** 'keep': the layer is written like every layer not compressed (weights at the other bits). */
export type LayerOption = 'keep' | CompressOption;

export interface OptionMenu {
  /** The factorizing method of the menu (default QAF, 'admm'). */
  method: MethodId;
  /** Parameter-reduction rates of the factorized options. */
  rates: readonly number[];
  /** Weight bits of the factorized options. */
  bits: readonly number[];
  /** Weight bits of the quantize-only (PTQ) options; empty for none. */
  ptqBits: readonly number[];
  /** PTQ with one scale per output channel (default per tensor, as the sweep's PTQ). */
  ptqPerChannel: boolean;
  /** Offer "keep as is". */
  keep: boolean;
}

export const DEFAULT_MENU: OptionMenu = {
  method: 'admm',
  rates: [1.5, 2, 3, 4],
  bits: [3, 4, 5, 6, 8],
  ptqBits: [3, 4, 5, 6, 8],
  ptqPerChannel: false,
  keep: true,
};

/** Every option of the menu, in a fixed order: keep, PTQ by bits, then rate-major factorized. */
export function menuOptions(menu: Partial<OptionMenu> = {}): LayerOption[] {
  const m = { ...DEFAULT_MENU, ...menu };
  const options: LayerOption[] = m.keep ? ['keep'] : [];
  const perChannel = m.ptqPerChannel ? { perChannel: true } : {};
  for (const bits of m.ptqBits) options.push({ method: 'ptq', bits, ...perChannel });
  for (const rate of m.rates)
    for (const bits of m.bits) options.push({ method: m.method, rate, bits });
  return options;
}

/** A short stable id: 'keep', 'ptq-w4', 'ptq-pc-w4', 'admm-r2-w4', 'admm-k12-w4' (rank 12). */
export function optionId(option: LayerOption): string {
  if (option === 'keep') return 'keep';
  const parts: string[] = [option.method];
  if (option.perChannel) parts.push('pc');
  if (option.rank !== undefined) parts.push(`k${option.rank}`);
  else if (option.rate !== undefined && METHODS[option.method].factorizes)
    parts.push(`r${option.rate}`);
  parts.push(`w${option.bits}`);
  return parts.join('-');
}

/**
 * The CP rank the option gives this layer (0 when it does not factorize), or why the layer
 * cannot take it (method not applicable, rank out of range, bits out of the method's range).
 */
export function optionRank(
  layer: Pick<LayerInfo, 'weightShape' | 'group' | 'factorizable'>,
  option: LayerOption,
): { rank: number; error: null } | { rank: null; error: string } {
  if (option === 'keep') return { rank: 0, error: null };
  const spec = METHODS[option.method];
  if (!spec) return { rank: null, error: `unknown method '${option.method}'` };
  if (!spec.appliesTo(layer)) {
    return { rank: null, error: `${spec.label} does not apply to this layer` };
  }
  const range = spec.bits ?? { min: 2, max: 8 };
  if (!Number.isInteger(option.bits) || option.bits < range.min || option.bits > range.max) {
    return {
      rank: null,
      error: `bits must be an integer in ${range.min}..${range.max}, got ${option.bits}`,
    };
  }
  if (!spec.factorizes) return { rank: 0, error: null };
  return tryResolveRank(groupCpDims(layer.weightShape, layer.group), option.rank, option.rate);
}

/**
 * The cost model's view of an option at a resolved rank; `scales`: QAF's grid scales of the
 * build (absent: the engine's default), which add scale bytes per component.
 */
export function optionChoice(option: LayerOption, rank: number, scales?: QafScales): LayerChoice {
  if (option === 'keep') return { method: 'none' };
  if (!METHODS[option.method].factorizes) {
    return {
      method: option.method,
      bits: option.bits,
      ...(option.perChannel && { perChannel: true }),
    };
  }
  return { method: option.method, rank, bits: option.bits, ...(scales && { scales }) };
}

/** BOPs (one sample) and ideal weight bytes of one layer under one option. */
export function optionCost(
  layer: CostLayer,
  option: LayerOption,
  rank: number,
  otherWeightBits: number,
  actBits: number,
  scales?: QafScales,
): { bops: number; weightBytes: number; storedBytes: number } {
  const cost = layerCost(layer, optionChoice(option, rank, scales), otherWeightBits, actBits);
  return {
    bops: cost.bops,
    weightBytes: cost.idealWeightBytes,
    storedBytes: cost.storedWeightBytes + cost.scaleBytes,
  };
}
