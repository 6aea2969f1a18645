// Words for chart points: the hover card, image set names, the "you are here" line. Plain words
// first ("Model size", "Compute", "Accuracy"); the technical term goes in a tooltip.
import { METHODS } from '../../core/factor/methods/index.ts';
import type { LayerInfo } from '../../core/onnx/index.ts';
import { formatBytes, formatCount } from '../format.ts';
import { isAllocated, methodText } from './allocation.ts';
import type { ChartPoint, ImageSet, PointConfig } from './chartData.ts';
import type { CurrentPoint } from './currentPoint.ts';
import { costChoices, DEFAULT_SETTINGS, METHOD_LABELS } from './settings.ts';

export const TERMS = {
  accuracy:
    'Top-1 accuracy: the share of evaluation images whose highest-scoring class is the label.',
  compute:
    'Bit operations (BOPs): multiply-accumulates × weight bits × activation bits, as a percentage of the original float model’s.',
  size: 'Size of the written .onnx file (weights at their bit width, scales, graph).',
  latency: 'Measured latency: median milliseconds per image on this machine (onnxruntime-web).',
} as const;

/** Rank ranges by model and rate: every point's card and label asks, the answer never changes. */
const rankTexts = new WeakMap<readonly LayerInfo[], Map<string, string>>();

/** "rate 2× (ranks 6–58)", "rank 16", or "" for methods without a size. */
export function sizeText(p: PointConfig, layers: readonly LayerInfo[]): string {
  if (!METHODS[p.method].factorizes) return '';
  if (p.rank !== null) return `rank ${p.rank}`;
  if (p.rate === null) return '';
  const cache = rankTexts.get(layers) ?? new Map<string, string>();
  rankTexts.set(layers, cache);
  const key = `${p.choice}|${p.rate}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const text = rateText(p.choice, p.rate, layers);
  cache.set(key, text);
  return text;
}

function rateText(choice: PointConfig['choice'], rate: number, layers: readonly LayerInfo[]) {
  const p = { choice, rate };
  const settings = { ...DEFAULT_SETTINGS, method: p.choice, sizeBy: 'rate' as const, rate: p.rate };
  const ranks = [...costChoices(layers, settings).choices.values()]
    .map((c) => c.rank ?? 0)
    .filter((r) => r > 0);
  if (ranks.length === 0) return `rate ${p.rate}×`;
  const lo = Math.min(...ranks);
  const hi = Math.max(...ranks);
  return `rate ${p.rate}× (rank${lo === hi ? ` ${lo}` : `s ${lo}–${hi}`})`;
}

/** "QAF (ADMM) r2 w4 cal": short enough for a list of points used. */
export function shortName(p: PointConfig): string {
  const parts = [METHODS[p.method].shortLabel];
  if (p.rate !== null) parts.push(`r${p.rate}`);
  if (p.rank !== null) parts.push(`k${p.rank}`);
  if (METHODS[p.method].quantizes) parts.push(`w${p.bits}`);
  if (p.actBits) parts.push(`a${p.actBits}`);
  if (p.calibrated) parts.push('cal');
  return parts.join(' ');
}

export function bitsText(p: PointConfig): string {
  const weights = METHODS[p.method].quantizes ? `${p.bits}-bit weights` : 'float weights';
  return `${weights}, ${p.actBits ? `${p.actBits}-bit` : 'float'} activations`;
}

/** "1,000 images · cifar10_test_1000.bin" (the file when it is the one loaded). */
export function imageSetLabel(
  set: Pick<ImageSet, 'dataHash' | 'images'> & Partial<Pick<ImageSet, 'arraysSource'>>,
  loaded: { dataHash: string; fileName: string } | null,
): string {
  if (set.arraysSource) {
    return `${formatCount(set.images)} samples of ${set.arraysSource} · agreement with the original`;
  }
  const count = `${formatCount(set.images)} images`;
  if (set.dataHash === null) return `${count} · data not recorded`;
  if (loaded && set.dataHash === loaded.dataHash) return `${count} · ${loaded.fileName}`;
  return `${count} · other data (${set.dataHash.slice(0, 8)})`;
}

export function percent(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(digits)} %`;
}

export function msText(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(2)} ms`;
}

export interface PointCard {
  title: string;
  /** The card's body, built when shown (the title alone labels every drawn point). */
  lines(): string[];
}

/** QAF's objective on the card: the data-aware one solves for the layers' inputs. */
function objectiveLines(p: ChartPoint): string[] {
  if (p.objective === null) return [];
  if (p.objective === 'published') return ["Objective: paper's (weight error)"];
  const images = p.calibrationImages
    ? ` on ${p.calibrationImages.toLocaleString('en-US')} calibration images`
    : '';
  return [`Objective: data-aware (solved for the layers' inputs${images})`];
}

/** The hover card of a point. */
export function pointCard(
  p: ChartPoint,
  layers: readonly LayerInfo[],
  setLabel: string,
): PointCard {
  const size = sizeText(p, layers);
  const origin = () =>
    p.budgetPercent !== undefined
      ? `Budget sweep: the solver's allocation at ${p.budgetPercent.toFixed(2)} % BOPs${p.createdAt ? `, ${new Date(p.createdAt).toLocaleString('en-GB')}` : ''}`
      : p.source === 'run'
        ? `Your run${p.createdAt ? `, ${new Date(p.createdAt).toLocaleString('en-GB')}` : ''}`
        : p.precomputed
          ? `Measured in advance (${p.precomputed})`
          : 'Measured by the sweep in this browser';
  return {
    title: isAllocated(p.settings)
      ? methodText({ method: p.choice, overrides: p.settings.overrides })
      : `${METHOD_LABELS[p.choice]}${size ? `, ${size}` : ''}`,
    lines: () => [
      bitsText(p),
      p.calibrated ? 'Calibrated after compression' : 'Not calibrated',
      ...objectiveLines(p),
      p.measure === 'agreement' ? `Samples: ${setLabel}` : `Images: ${setLabel}`,
      p.measure === 'agreement'
        ? `Agreement with the original ${percent(p.accuracy)} (no labels: not accuracy)`
        : `Accuracy ${percent(p.accuracy)}`,
      `Compute ${percent(p.bopPercent)} of the original BOPs`,
      `Model size ${formatBytes(p.sizeBytes)}`,
      `Latency ${msText(p.latencyMs)} per image`,
      origin(),
    ],
  };
}

/** One sentence on the marker: what it is and where its accuracy comes from. */
export function currentText(
  c: CurrentPoint,
  measure: ChartPoint['measure'] = c.used[0]?.measure ?? 'accuracy',
): string {
  const where = `compute ${percent(c.bopPercent)}, size ≈ ${formatBytes(c.sizeBytes)}`;
  const word = measureWord(measure);
  if (c.kind === 'measured') {
    return `${shortName(c.config)}: ${where}, ${word} ${percent(c.accuracy)} (measured)`;
  }
  if (c.kind === 'estimate') {
    const from = c.used.map((p) => `${shortName(p)} ${percent(p.accuracy, 1)}`).join(', ');
    return `${shortName(c.config)}: ${where}, ${word} ≈ ${percent(c.accuracy)} (estimate from ${from})`;
  }
  return `${shortName(c.config)}: ${where}; no ${word} estimate: ${c.reason}`;
}

/** What a point's percentage is, in words. */
export function measureWord(measure: ChartPoint['measure']): string {
  return measure === 'agreement' ? 'agreement with the original' : 'accuracy';
}
