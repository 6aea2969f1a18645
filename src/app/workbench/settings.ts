// What the user chooses before a run, and the pure mappings from those choices to engine jobs,
// cost-model choices and file names. No React here: the panels and the run share these.

import type { LayerChoice } from '../../core/cost/costModel.ts';
import { factorDims } from '../../core/cost/costModel.ts';
import {
  METHOD_CHOICES,
  METHODS,
  type MethodChoiceId,
  methodChoice,
} from '../../core/factor/methods/index.ts';
import type { JobSettings } from '../../core/factor/modelJobs.ts';
import type { LayerInfo } from '../../core/onnx/index.ts';
import type { WeightForm } from '../../core/rewrite/weightForm.ts';
import { tryResolveRank } from '../../core/util/rank.ts';

/** A choice of the method registry's list (a method with fixed options, e.g. PTQ per channel). */
export type UiMethod = MethodChoiceId;

export const METHOD_LABELS = Object.fromEntries(
  METHOD_CHOICES.map((c) => [c.id, c.label]),
) as Record<UiMethod, string>;

/** Short names for files and legends. */
export const METHOD_SLUGS = Object.fromEntries(METHOD_CHOICES.map((c) => [c.id, c.slug])) as Record<
  UiMethod,
  string
>;

/** The rates the method's paper reports (docs/qaf-method.md, "Rank"). */
export const PUBLISHED_RATES = [1.2, 1.5, 2, 2.5, 2.7, 3, 4];

export interface CompressSettings {
  method: UiMethod;
  sizeBy: 'rate' | 'rank';
  rate: number;
  rank: number;
  bits: number;
  /** 8, or 32 to leave the layers that are not compressed float. */
  otherBits: number;
  /** 8, or 32 for float activations. */
  actBits: number;
  preset: 'default' | 'published';
  /** Calibration after compression; applies only while a calibration set is loaded. */
  calibrate: boolean;
  /**
   * QAF's objective: absent or 'data' solves for the layers' inputs on the run's calibration
   * images when it has some (docs/data-aware-qaf.md); 'published' is the paper's.
   */
  qafObjective?: 'data' | 'published';
  /**
   * How the written file holds its quantized weights (src/core/rewrite/weightForm.ts): absent or
   * 'dequantize' DequantizeLinear at every run; 'load' once at session creation (same file);
   * 'float' float32 weights (faster, no size saving).
   */
  weightForm?: WeightForm;
  /** Time each factorized conv against the original and write the slower ones back as one conv
   * computed at load (src/core/pipeline/latencyGuard.ts; needs a form other than 'dequantize'). */
  latencyGuard?: boolean;
  layerMode: 'all' | 'selected';
  selectedLayers: string[];
  /**
   * Per-layer overrides of rate or rank and bits, or 'keep' (the layer is left as the other
   * layers); absent or empty: every chosen layer takes the global settings (allocation.ts).
   */
  overrides?: Readonly<Record<string, LayerOverride>>;
  /** SHA-256 of the model the overrides were made for: another model opened drops them. */
  overridesModel?: string;
}

/** One layer's own settings: any of rate or rank, and bits; unset fields take the global. */
export type LayerOverride = 'keep' | { rate?: number; rank?: number; bits?: number };

export const DEFAULT_SETTINGS: CompressSettings = {
  method: 'admm',
  sizeBy: 'rate',
  rate: 2,
  rank: 16,
  bits: 4,
  otherBits: 8,
  actBits: 32,
  preset: 'default',
  calibrate: true,
  layerMode: 'all',
  selectedLayers: [],
};

export function isFactorizingMethod(method: UiMethod): boolean {
  return METHODS[methodChoice(method).method].factorizes;
}

/** Whether the method has a weight-bits setting (float CP has none). */
export function isQuantizingMethod(method: UiMethod): boolean {
  return METHODS[methodChoice(method).method].quantizes;
}

/** Layers a method may touch (its registry entry: factorizable ones, or every weight layer). */
export function eligibleLayers(layers: readonly LayerInfo[], method: UiMethod): LayerInfo[] {
  const spec = METHODS[methodChoice(method).method];
  return layers.filter((l) => spec.appliesTo(l));
}

/** The layers a run compresses. */
export function chosenLayers(layers: readonly LayerInfo[], s: CompressSettings): LayerInfo[] {
  const eligible = eligibleLayers(layers, s.method);
  if (s.layerMode === 'all') return eligible;
  const picked = new Set(s.selectedLayers);
  return eligible.filter((l) => picked.has(l.name));
}

export function jobSettings(s: CompressSettings, seed = 0): JobSettings {
  const choice = methodChoice(s.method);
  const spec = METHODS[choice.method];
  return {
    method: choice.method,
    ...(!spec.factorizes ? {} : s.sizeBy === 'rank' ? { rank: s.rank } : { rate: s.rate }),
    // A method without bits (float CP) still carries a valid width for the engine's check.
    bits: spec.quantizes ? s.bits : 8,
    preset: s.preset,
    seed,
    perChannel: choice.perChannel,
  };
}

/** The job settings of one chosen layer with its override applied; null when it is kept. */
export function layerJobSettings(s: CompressSettings, layerName: string): JobSettings | null {
  const job = jobSettings(s);
  const override = s.overrides?.[layerName];
  if (override === undefined) return job;
  if (override === 'keep') return null;
  const out = { ...job };
  if (METHODS[job.method].factorizes) {
    if (override.rank !== undefined) Object.assign(out, { rank: override.rank, rate: undefined });
    else if (override.rate !== undefined)
      Object.assign(out, { rate: override.rate, rank: undefined });
  }
  if (override.bits !== undefined && METHODS[job.method].quantizes) out.bits = override.bits;
  return out;
}

export interface CostChoices {
  choices: Map<string, LayerChoice>;
  /** Layers whose rank the settings cannot give, with the engine's reason (the run would fail). */
  rankErrors: { layer: string; reason: string }[];
}

/** Per-layer choices for the cost model, ranks by the engine's own rule (util/rank.ts). */
export function costChoices(layers: readonly LayerInfo[], s: CompressSettings): CostChoices {
  const choices = new Map<string, LayerChoice>();
  const rankErrors: CostChoices['rankErrors'] = [];
  for (const layer of chosenLayers(layers, s)) {
    const job = layerJobSettings(s, layer.name);
    if (!job) continue;
    if (!METHODS[job.method].factorizes) {
      choices.set(layer.name, { method: job.method, bits: job.bits });
      continue;
    }
    const picked = tryResolveRank(factorDims(layer), job.rank, job.rate);
    if (picked.rank === null) {
      rankErrors.push({ layer: layer.name, reason: picked.error });
      continue;
    }
    choices.set(layer.name, { method: job.method, rank: picked.rank, bits: job.bits });
  }
  return { choices, rankErrors };
}

/** "rate 2" or "rank 16" as the run used it; PTQ has neither. */
export function sizeLabel(s: Pick<CompressSettings, 'method' | 'sizeBy' | 'rate' | 'rank'>) {
  if (!isFactorizingMethod(s.method)) return '—';
  return s.sizeBy === 'rank' ? `rank ${s.rank}` : `rate ${s.rate}`;
}

/** e.g. resnet20_qaf-admm_r2_w4.onnx (…_a8 with 8-bit activations, …_cal when calibrated). */
export function compressedFileName(
  modelFileName: string,
  s: Pick<
    CompressSettings,
    'method' | 'sizeBy' | 'rate' | 'rank' | 'bits' | 'actBits' | 'overrides'
  >,
  calibrated: boolean,
  extension = 'onnx',
): string {
  const base = modelFileName.replace(/\.onnx$/i, '').replace(/_cifar10$/i, '');
  const parts = [base, METHOD_SLUGS[s.method]];
  if (isFactorizingMethod(s.method)) parts.push(s.sizeBy === 'rank' ? `k${s.rank}` : `r${s.rate}`);
  if (isQuantizingMethod(s.method)) parts.push(`w${s.bits}`);
  if (s.actBits < 32) parts.push(`a${s.actBits}`);
  if (Object.keys(s.overrides ?? {}).length) parts.push('alloc');
  if (calibrated) parts.push('cal');
  return `${parts.join('_')}.${extension}`;
}

/**
 * The weight form a run writes: the latency guard needs weights folded at load, so with the guard
 * on, 'dequantize' becomes 'load' (as the pipeline's own default does). With 8-bit activations
 * the file keeps its DequantizeLinear weights whatever the form, and the guard times the layers
 * so (core/eval/layerLatency.ts actBits).
 */
export function outputForm(
  s: Pick<CompressSettings, 'weightForm' | 'latencyGuard'> &
    Partial<Pick<CompressSettings, 'actBits'>>,
): {
  weightForm: WeightForm;
  latencyGuard: boolean;
} {
  const form = s.weightForm ?? 'dequantize';
  const latencyGuard = s.latencyGuard === true;
  return { weightForm: latencyGuard && form === 'dequantize' ? 'load' : form, latencyGuard };
}
