// Result and sweep rows -> chart points. Every point knows the configuration it was measured
// with (so a click can load it into the panel) and the image set it was measured on: points of
// different sets (image count or data file) never share a curve, and the float reference line is
// the float model on the set shown.
import { METHODS, type MethodId, methodChoice } from '../../core/factor/methods/index.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { isAllocated, overridesKey } from './allocation.ts';
import { agreementFigure } from './arraysText.ts';
import { type CompressSettings, DEFAULT_SETTINGS, type UiMethod } from './settings.ts';
import type { Baselines, ResultRow, StoredSweepRow } from './store.ts';

export type PointShape =
  | 'circle'
  | 'triangle'
  | 'square'
  | 'diamond'
  | 'triangleDown'
  | 'hexagon'
  | 'star';

/** What a point was measured with, in the panel's terms. */
export interface PointConfig {
  choice: UiMethod;
  method: MethodId;
  /** Parameter-reduction rate; null when nothing is factorized or the run was sized by rank. */
  rate: number | null;
  /** Explicit rank of a run sized by rank. */
  rank: number | null;
  /** Weight bits of the compressed layers; 32 for float weights (float CP). */
  bits: number;
  /** Activation bits; null for float activations. */
  actBits: number | null;
  calibrated: boolean;
  preset: CompressSettings['preset'];
  otherBits: number;
  /** 'all' eligible layers, or the sorted names of the selected ones. */
  layers: string;
}

export interface ChartPoint extends PointConfig {
  /** Unique among the model's points. */
  id: string;
  source: 'sweep' | 'run';
  /** The settings a click loads into the compression panel. */
  settings: Partial<CompressSettings>;
  imageSet: string;
  dataHash: string | null;
  images: number;
  /**
   * What `accuracy` holds: top-1 accuracy on labelled images, or, for a run on the user's arrays
   * (no labels), its top-1 or pixel agreement with the original model: never called accuracy.
   */
  measure: 'accuracy' | 'agreement';
  /** The arrays' files of a run on the user's arrays. */
  arraysSource?: string;
  /** Top-1 in percent (agreement with the original when `measure` says so). */
  accuracy: number;
  /** Agreement with the float model's top-1, in percent; null when unknown. */
  agreement: number | null;
  bopPercent: number;
  sizeBytes: number;
  /** Median per image; NaN when not measured. */
  latencyMs: number;
  meanError: number;
  resultId: string | null;
  /** How points measured in advance were measured; null for points measured here. */
  precomputed: string | null;
  createdAt: number | null;
  /** QAF's objective ('data': solved for the layers' inputs); null for other methods or unknown. */
  objective: 'data' | 'published' | null;
  /** A sweep point: images of the separate calibration set its sweep took; else null. */
  calibrationImages: number | null;
  /** A point of a budget sweep: the BOP % budget its allocation was solved for. */
  budgetPercent?: number;
}

export interface ImageSet {
  key: string;
  dataHash: string | null;
  images: number;
  measure: ChartPoint['measure'];
  /** The arrays' files of a set of runs on the user's arrays, else null. */
  arraysSource: string | null;
  points: number;
  runs: number;
  precomputed: string | null;
}

export interface FloatReference {
  accuracy: number;
  latencyMs: number | null;
  sizeBytes: number | null;
}

export interface ChartModel {
  points: ChartPoint[];
  sets: ImageSet[];
  floats: Record<string, FloatReference>;
}

/** One image set: the evaluation file's hash and how many of its images were evaluated. */
export function imageSetKey(dataHash: string | null | undefined, images: number): string {
  return `${dataHash ?? 'unknown'}|${images}`;
}

/** The settings of a sweep point as the panel sets them (the sweep's own defaults). */
function sweepSettings(choice: UiMethod, row: StoredSweepRow): Partial<CompressSettings> {
  const spec = METHODS[methodChoice(choice).method];
  return {
    method: choice,
    ...(spec.factorizes ? { sizeBy: 'rate', rate: row.rate ?? DEFAULT_SETTINGS.rate } : {}),
    ...(spec.quantizes ? { bits: row.bits } : {}),
    otherBits: 8,
    actBits: row.actBits ?? 32,
    preset: 'default',
    calibrate: row.calibrated,
    layerMode: 'all',
    // A click (and the point's download) solves QAF as the sweep did.
    ...(choice === 'admm' && row.objective && { qafObjective: row.objective }),
  };
}

function fromSweepRow(row: StoredSweepRow): ChartPoint | null {
  if (row.method === 'float') return null;
  // The sweep quantizes PTQ per tensor (its default); the other methods are their own choice.
  const choice: UiMethod = row.method === 'ptq' ? 'ptq-tensor' : row.method;
  const dataHash = row.dataHash ?? null;
  return {
    id: `sweep:${row.method}:${row.rate}:${row.bits}:${row.actBits}:${row.calibrated}:${imageSetKey(dataHash, row.images)}`,
    source: 'sweep',
    choice,
    method: row.method,
    rate: METHODS[row.method].factorizes ? row.rate : null,
    rank: null,
    bits: METHODS[row.method].quantizes ? row.bits : 32,
    actBits: row.actBits,
    calibrated: row.calibrated,
    preset: 'default',
    otherBits: 8,
    layers: 'all',
    settings: sweepSettings(choice, row),
    imageSet: imageSetKey(dataHash, row.images),
    dataHash,
    images: row.images,
    measure: 'accuracy',
    accuracy: row.accuracy * 100,
    agreement: Number.isFinite(row.agreement) ? row.agreement * 100 : null,
    bopPercent: row.bopPercent,
    sizeBytes: row.sizeBytes,
    latencyMs: row.latencyMs,
    meanError: row.meanError,
    resultId: null,
    precomputed: row.precomputed ?? null,
    createdAt: null,
    objective: row.method === 'admm' ? (row.objective ?? null) : null,
    calibrationImages: row.calibrationImages ?? null,
  };
}

/** A run's configuration in the terms of a sweep point. */
export function settingsConfig(s: CompressSettings, calibrated: boolean): PointConfig {
  const method = methodChoice(s.method).method;
  const spec = METHODS[method];
  const byRate = spec.factorizes && s.sizeBy === 'rate';
  return {
    choice: s.method,
    method,
    rate: byRate ? s.rate : null,
    rank: spec.factorizes && s.sizeBy === 'rank' ? s.rank : null,
    bits: spec.quantizes ? s.bits : 32,
    actBits: s.actBits < 32 ? s.actBits : null,
    calibrated,
    preset: method === 'admm' ? s.preset : 'default',
    otherBits: s.otherBits,
    layers:
      (s.layerMode === 'all' ? 'all' : [...s.selectedLayers].sort().join(',')) + overridesKey(s),
  };
}

/** The image set of runs on the user's arrays: their files and the samples compared. */
export function arraysSetKey(source: string, samples: number): string {
  return `arrays:${source}|${samples}`;
}

function fromResult(row: ResultRow): ChartPoint | null {
  const e = row.evaluation;
  if (!e || e.accuracy === null) return fromArraysResult(row);
  const dataHash = row.dataHash ?? null;
  return {
    ...settingsConfig(row.settings, row.calibrated),
    id: `run:${row.id}`,
    // A budget sweep's points join the allocated curve as a sweep's points join theirs.
    source: row.sweep ? 'sweep' : 'run',
    ...(row.budgetPercent !== undefined && { budgetPercent: row.budgetPercent }),
    settings: { ...row.settings },
    imageSet: imageSetKey(dataHash, e.images),
    dataHash,
    images: e.images,
    measure: 'accuracy',
    accuracy: e.accuracy * 100,
    agreement: e.agreement === null ? null : e.agreement * 100,
    bopPercent: row.bopPercent,
    sizeBytes: row.sizeBytes,
    latencyMs: e.latencyMs?.median ?? Number.NaN,
    meanError: row.meanError,
    resultId: row.id,
    precomputed: null,
    createdAt: row.createdAt,
    objective: resultObjective(row),
    calibrationImages: null,
  };
}

/**
 * A run on the user's arrays whose outputs have an agreement figure (class scores, probability
 * maps): plotted as agreement with the original, in its own set. Outputs with only rel. L2 and
 * SQNR have no point (the results table shows them).
 */
function fromArraysResult(row: ResultRow): ChartPoint | null {
  const a = row.arrays;
  const agreement = a ? agreementFigure(a) : null;
  if (!a || agreement === null) return null;
  return {
    ...settingsConfig(row.settings, row.calibrated),
    id: `run:${row.id}`,
    // Points of a sweep on the arrays join their method's curve as a sweep's points do.
    source: row.sweep ? 'sweep' : 'run',
    settings: { ...row.settings },
    imageSet: arraysSetKey(a.source, a.samples),
    dataHash: null,
    images: a.samples,
    measure: 'agreement',
    arraysSource: a.source,
    accuracy: agreement * 100,
    agreement: agreement * 100,
    bopPercent: row.bopPercent,
    sizeBytes: row.sizeBytes,
    latencyMs: Number.NaN,
    meanError: row.meanError,
    resultId: row.id,
    precomputed: null,
    createdAt: row.createdAt,
    objective: resultObjective(row),
    calibrationImages: null,
  };
}

/** A run's QAF objective: its statement says data-aware, else the paper's; null for other methods. */
function resultObjective(row: ResultRow): ChartPoint['objective'] {
  if (methodChoice(row.settings.method).method !== 'admm') return null;
  return row.objective?.startsWith('data-aware') ? 'data' : 'published';
}

/** Float accuracy per image set: the sweep's float rows, else the runs' float baselines. */
function floatReferences(
  model: Pick<ModelOverview, 'fileName' | 'sizeBytes'>,
  rows: readonly StoredSweepRow[],
  baselines: Baselines,
): Record<string, FloatReference> {
  const floats: Record<string, FloatReference> = {};
  for (const [key, value] of Object.entries(baselines)) {
    const [fileName, sizeBytes, dataHash] = JSON.parse(key) as [string, number, string];
    if (fileName !== model.fileName || sizeBytes !== model.sizeBytes) continue;
    floats[imageSetKey(dataHash, value.images)] = {
      accuracy: value.accuracy * 100,
      latencyMs: null,
      sizeBytes: model.sizeBytes,
    };
  }
  for (const row of rows) {
    if (row.method !== 'float') continue;
    floats[imageSetKey(row.dataHash, row.images)] = {
      accuracy: row.accuracy * 100,
      latencyMs: row.latencyMs,
      sizeBytes: row.sizeBytes,
    };
  }
  return floats;
}

function imageSets(points: readonly ChartPoint[]): ImageSet[] {
  const sets = new Map<string, ImageSet>();
  for (const p of points) {
    const set = sets.get(p.imageSet) ?? {
      key: p.imageSet,
      dataHash: p.dataHash,
      images: p.images,
      measure: p.measure,
      arraysSource: p.arraysSource ?? null,
      points: 0,
      runs: 0,
      precomputed: null,
    };
    set.points++;
    if (p.source === 'run') set.runs++;
    set.precomputed ??= p.precomputed;
    sets.set(p.imageSet, set);
  }
  return [...sets.values()].sort((a, b) => b.points - a.points || b.images - a.images);
}

/** Every measured point of the model, its image sets and their float references. */
export function chartModel(
  model: Pick<ModelOverview, 'fileName' | 'sizeBytes'>,
  results: readonly ResultRow[],
  sweepRows: readonly StoredSweepRow[],
  baselines: Baselines,
): ChartModel {
  const rows = sweepRows.filter((r) => r.modelFileName === model.fileName);
  const points = [
    ...rows.map(fromSweepRow),
    ...results.filter((r) => r.modelFileName === model.fileName).map(fromResult),
  ].filter((p): p is ChartPoint => p !== null);
  const sets = imageSets(points);
  const floats = floatReferences(model, rows, baselines);
  // The original agrees with itself on every sample: its reference line is 100 %.
  for (const set of sets) {
    if (set.measure === 'agreement')
      floats[set.key] = { accuracy: 100, latencyMs: null, sizeBytes: model.sizeBytes };
  }
  return { points, sets, floats };
}

/**
 * The set to show: the user's choice while it exists; else the set with the most points, a tie
 * going to the set the next run would measure on.
 */
export function pickImageSet(
  sets: readonly ImageSet[],
  chosen: string | null,
  current: string | null,
): string | null {
  if (chosen && sets.some((s) => s.key === chosen)) return chosen;
  if (sets.length === 0) return current;
  const most = sets[0].points;
  return sets.find((s) => s.points === most && s.key === current)?.key ?? sets[0].key;
}

/** Method colour, bits shape, calibration fill: a point's look, from the method registry. */
export function methodColor(method: MethodId): string {
  return METHODS[method].color;
}

const SHAPE_BY_BITS: Record<number, PointShape> = {
  2: 'diamond',
  3: 'triangleDown',
  4: 'circle',
  5: 'hexagon',
  6: 'square',
  8: 'triangle',
  32: 'star',
};

export function shapeForBits(bits: number): PointShape {
  return SHAPE_BY_BITS[bits] ?? 'square';
}

/** The legend items a point belongs to; hiding any of them hides the point. */
export function legendKeys(p: Pick<ChartPoint, 'method' | 'bits' | 'calibrated' | 'source'>) {
  const keys = [`m:${p.method}`, `b:${p.bits}`, p.calibrated ? 'c:cal' : 'c:uncal'];
  if (p.source === 'run') keys.push('runs');
  return keys;
}

export function isShown(p: ChartPoint, hidden: readonly string[]): boolean {
  return hidden.length === 0 || legendKeys(p).every((k) => !hidden.includes(k));
}

export interface Curve {
  key: string;
  method: MethodId;
  calibrated: boolean;
  /** A budget sweep's curve: allocations per layer, whose global bit width means little. */
  allocated: boolean;
  points: ChartPoint[];
}

/**
 * Sweep points of one method, bit width, activation width and calibration, joined by a line
 * (rates in order); a budget sweep's allocated points make one curve per method, activation
 * width and calibration. The caller passes one image set's points, so curves never mix sets.
 */
export function curves(points: readonly ChartPoint[]): Curve[] {
  const groups = new Map<string, Curve>();
  for (const p of points) {
    if (p.source !== 'sweep') continue;
    const allocated = isAllocated(p.settings);
    const key = `${p.imageSet}|${p.choice}|${allocated ? 'allocated' : p.bits}|${p.actBits}|${p.calibrated}`;
    const curve = groups.get(key) ?? {
      key,
      method: p.method,
      calibrated: p.calibrated,
      allocated,
      points: [],
    };
    curve.points.push(p);
    groups.set(key, curve);
  }
  return [...groups.values()]
    .filter((c) => c.points.length > 1)
    .map((c) => ({ ...c, points: c.points.sort((a, b) => (b.rate ?? 0) - (a.rate ?? 0)) }));
}

/** Images an evaluation uses: the smaller stratified subset, the quick 1,000, or all. */
export function evaluatedImages(count: number, subset: 'quick' | 'full', limit: number | null) {
  if (limit) return Math.min(limit, count);
  return subset === 'quick' ? Math.min(1000, count) : count;
}
