// What the user chooses before a run, and the pure mappings from those choices to engine jobs,
// cost-model choices and file names. No React here: the panels and the run share these.
import type { LayerChoice } from '../../core/cost/costModel.ts';
import { rankForRate } from '../../core/cost/costModel.ts';
import type { JobSettings } from '../../core/factor/modelJobs.ts';
import type { LayerInfo } from '../../core/onnx/index.ts';

export type UiMethod = 'admm' | 'ftq' | 'ptq-tensor' | 'ptq-channel' | 'cp';

export const METHOD_LABELS: Record<UiMethod, string> = {
  admm: 'QAF (ADMM)',
  ftq: 'FTQ (CP, then round)',
  'ptq-tensor': 'PTQ per-tensor',
  'ptq-channel': 'PTQ per-channel',
  cp: 'Float CP',
};

/** Short names for files and legends. */
export const METHOD_SLUGS: Record<UiMethod, string> = {
  admm: 'qaf-admm',
  ftq: 'ftq',
  'ptq-tensor': 'ptq',
  'ptq-channel': 'ptq-pc',
  cp: 'cp-float',
};

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
  layerMode: 'all' | 'selected';
  selectedLayers: string[];
}

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
  return method === 'admm' || method === 'ftq' || method === 'cp';
}

/** Layers a method may touch: factorizable ones for CP methods, every weight layer for PTQ. */
export function eligibleLayers(layers: readonly LayerInfo[], method: UiMethod): LayerInfo[] {
  return layers.filter((l) => !isFactorizingMethod(method) || l.factorizable);
}

/** The layers a run compresses. */
export function chosenLayers(layers: readonly LayerInfo[], s: CompressSettings): LayerInfo[] {
  const eligible = eligibleLayers(layers, s.method);
  if (s.layerMode === 'all') return eligible;
  const picked = new Set(s.selectedLayers);
  return eligible.filter((l) => picked.has(l.name));
}

export function jobSettings(s: CompressSettings, seed = 0): JobSettings {
  const ptq = s.method === 'ptq-tensor' || s.method === 'ptq-channel';
  return {
    method: ptq ? 'ptq' : s.method === 'admm' ? 'admm' : s.method === 'ftq' ? 'ftq' : 'cp',
    ...(ptq ? {} : s.sizeBy === 'rank' ? { rank: s.rank } : { rate: s.rate }),
    bits: s.method === 'cp' ? 8 : s.bits,
    preset: s.preset,
    seed,
    perChannel: s.method === 'ptq-channel',
  };
}

/** Per-layer choices for the cost model (ranks as the engine will pick them). */
export function costChoices(
  layers: readonly LayerInfo[],
  s: CompressSettings,
): Map<string, LayerChoice> {
  const job = jobSettings(s);
  const choices = new Map<string, LayerChoice>();
  for (const layer of chosenLayers(layers, s)) {
    if (job.method === 'ptq') {
      choices.set(layer.name, { method: 'ptq', bits: s.bits });
      continue;
    }
    const rank = job.rank ?? rankForRate(layer, s.rate);
    choices.set(layer.name, { method: job.method, rank, bits: s.bits });
  }
  return choices;
}

/** "rate 2" or "rank 16" as the run used it; PTQ has neither. */
export function sizeLabel(s: Pick<CompressSettings, 'method' | 'sizeBy' | 'rate' | 'rank'>) {
  if (!isFactorizingMethod(s.method)) return '—';
  return s.sizeBy === 'rank' ? `rank ${s.rank}` : `rate ${s.rate}`;
}

/** e.g. resnet20_qaf-admm_r2_w4.onnx (…_a8 with 8-bit activations, …_cal when calibrated). */
export function compressedFileName(
  modelFileName: string,
  s: Pick<CompressSettings, 'method' | 'sizeBy' | 'rate' | 'rank' | 'bits' | 'actBits'>,
  calibrated: boolean,
  extension = 'onnx',
): string {
  const base = modelFileName.replace(/\.onnx$/i, '').replace(/_cifar10$/i, '');
  const parts = [base, METHOD_SLUGS[s.method]];
  if (isFactorizingMethod(s.method)) parts.push(s.sizeBy === 'rank' ? `k${s.rank}` : `r${s.rate}`);
  if (s.method !== 'cp') parts.push(`w${s.bits}`);
  if (s.actBits < 32) parts.push(`a${s.actBits}`);
  if (calibrated) parts.push('cal');
  return `${parts.join('_')}.${extension}`;
}
