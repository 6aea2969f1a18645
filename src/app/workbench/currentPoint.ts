// "You are here": the panel's current settings as a point on the charts. Compute (BOP %) comes
// from the cost model, exact; the size is the cost model's weight bytes plus the file overhead
// measured on points like it (graph, scales, calibration parameters: constant per method kind);
// accuracy and latency are measured when a point with these settings was measured on the image
// set shown, else interpolated (bilinear in rate and bits) from the measured points of the same
// method, calibration and activation width around it, and named as such.
import { computeCosts } from '../../core/cost/costModel.ts';
import { METHODS } from '../../core/factor/methods/index.ts';
import type { LayerInfo } from '../../core/onnx/index.ts';
import { type ChartPoint, type PointConfig, settingsConfig } from './chartData.ts';
import { type CompressSettings, costChoices, DEFAULT_SETTINGS, METHOD_LABELS } from './settings.ts';

export interface CurrentPoint {
  config: PointConfig;
  bopPercent: number;
  sizeBytes: number;
  /** 'measured' (a point's file), 'overhead' (weights + measured overhead), 'ideal' (weights). */
  sizeSource: 'measured' | 'overhead' | 'ideal';
  /** Top-1 %, measured or estimated; null when no estimate is possible. */
  accuracy: number | null;
  latencyMs: number | null;
  kind: 'measured' | 'estimate' | 'none';
  /** The measured points the accuracy comes from. */
  used: ChartPoint[];
  /** Why there is no estimate (kind 'none'). */
  reason: string | null;
  /** Parameter-reduction rate the estimate used (the rate, or the one a rank gives). */
  rate: number | null;
}

interface Costs {
  bopPercent: number;
  idealBytes: number;
  /** Float params / params over the factorized layers; null when nothing is factorized. */
  rate: number | null;
}

export function settingsCosts(layers: readonly LayerInfo[], s: CompressSettings): Costs {
  const { choices } = costChoices(layers, s);
  const costs = computeCosts(layers, choices, { actBits: s.actBits, otherWeightBits: s.otherBits });
  let floatParams = 0;
  let params = 0;
  for (const l of costs.layers) {
    if (l.rank > 0) {
      floatParams += l.floatParams;
      params += l.params;
    }
  }
  return {
    bopPercent: choices.size > 0 ? costs.totals.bopPercent : Number.NaN,
    idealBytes: costs.totals.idealWeightBytes,
    rate: params > 0 ? floatParams / params : null,
  };
}

const near = (a: number | null, b: number | null) =>
  a === b || (a !== null && b !== null && Math.abs(a - b) < 1e-6);

/** Everything but rate and bits equal: the points an estimate may use. */
function sameFamily(a: PointConfig, b: PointConfig): boolean {
  return (
    a.choice === b.choice &&
    a.actBits === b.actBits &&
    a.calibrated === b.calibrated &&
    a.preset === b.preset &&
    a.otherBits === b.otherBits &&
    a.layers === b.layers
  );
}

export function sameConfig(a: PointConfig, b: PointConfig): boolean {
  return sameFamily(a, b) && near(a.rate, b.rate) && a.rank === b.rank && a.bits === b.bits;
}

/** The measured values below and above `v` (equal when `v` was measured). */
function bracket(values: readonly number[], v: number): [number, number] | null {
  const below = values.filter((x) => x <= v + 1e-9);
  const above = values.filter((x) => x >= v - 1e-9);
  if (below.length === 0 || above.length === 0) return null;
  return [Math.max(...below), Math.min(...above)];
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Interpolated {
  accuracy: number;
  latencyMs: number | null;
  used: ChartPoint[];
}

function describeFamily(c: PointConfig): string {
  const act = c.actBits ? `, ${c.actBits}-bit activations` : '';
  return `${METHOD_LABELS[c.choice]} ${c.calibrated ? 'calibrated' : 'uncalibrated'}${act}`;
}

/** Bilinear in (rate, bits) over the family's measured grid; a reason when it cannot. */
export function interpolate(
  family: readonly ChartPoint[],
  rate: number | null,
  bits: number,
): Interpolated | string {
  const factorizes = METHODS[family[0].method].factorizes;
  const rateOf = (p: ChartPoint) => (factorizes ? (p.rate ?? Number.NaN) : 0);
  const grid = family.filter((p) => Number.isFinite(rateOf(p)));
  const r = factorizes ? rate : 0;
  if (grid.length === 0 || r === null) return 'no measured points sized by rate';
  const rates = bracket(
    grid.map((p) => rateOf(p)),
    r,
  );
  const allBits = grid.map((p) => p.bits);
  const bitsAround = bracket(allBits, bits);
  if (!rates || !bitsAround) {
    const span = (v: number[], unit: string) => `${Math.min(...v)}${unit}–${Math.max(...v)}${unit}`;
    const measured = [
      factorizes ? `rates ${span(grid.map(rateOf), '×')}` : '',
      `weight bits ${span(allBits, '')}`,
    ].filter(Boolean);
    return `outside the measured ${measured.join(', ')}`;
  }
  const tr = rates[1] === rates[0] ? 0 : (r - rates[0]) / (rates[1] - rates[0]);
  const tb =
    bitsAround[1] === bitsAround[0] ? 0 : (bits - bitsAround[0]) / (bitsAround[1] - bitsAround[0]);
  const corners: [number, number, number][] = [
    [rates[0], bitsAround[0], (1 - tr) * (1 - tb)],
    [rates[1], bitsAround[0], tr * (1 - tb)],
    [rates[0], bitsAround[1], (1 - tr) * tb],
    [rates[1], bitsAround[1], tr * tb],
  ];
  let accuracy = 0;
  let latency: number | null = 0;
  const used: ChartPoint[] = [];
  for (const [cr, cb, w] of corners) {
    if (w < 1e-9) continue;
    const at = grid.filter((p) => near(rateOf(p), cr) && p.bits === cb);
    if (at.length === 0) {
      return `no measured point at ${factorizes ? `rate ${cr}×, ` : ''}${cb}-bit to interpolate from`;
    }
    accuracy += w * mean(at.map((p) => p.accuracy));
    const lat = at.map((p) => p.latencyMs).filter(Number.isFinite);
    latency = latency === null || lat.length === 0 ? null : latency + w * mean(lat);
    for (const p of at) if (!used.includes(p)) used.push(p);
  }
  return { accuracy, latencyMs: latency, used };
}

/** The file bytes beyond the weights, as measured on the most similar points. */
function fileOverhead(
  layers: readonly LayerInfo[],
  config: PointConfig,
  points: readonly ChartPoint[],
): number | null {
  const tiers = [
    points.filter((p) => sameFamily(p, config)),
    points.filter(
      (p) =>
        p.calibrated === config.calibrated &&
        METHODS[p.method].factorizes === METHODS[config.method].factorizes,
    ),
    points,
  ];
  const similar = tiers.find((t) => t.length > 0);
  if (!similar) return null;
  return median(similar.map((p) => p.sizeBytes - idealBytesOf(layers, p)));
}

/** A point's weight bytes by the cost model, once per point (a slider move asks again). */
const idealBytesCache = new WeakMap<ChartPoint, { layers: readonly LayerInfo[]; bytes: number }>();

function idealBytesOf(layers: readonly LayerInfo[], p: ChartPoint): number {
  const known = idealBytesCache.get(p);
  if (known?.layers === layers) return known.bytes;
  const bytes = settingsCosts(layers, { ...DEFAULT_SETTINGS, ...p.settings }).idealBytes;
  idealBytesCache.set(p, { layers, bytes });
  return bytes;
}

/** Where the panel's settings sit on the charts of one image set (`points`). */
export function currentPoint(
  layers: readonly LayerInfo[],
  settings: CompressSettings,
  canCalibrate: boolean,
  points: readonly ChartPoint[],
): CurrentPoint {
  const config = settingsConfig(settings, settings.calibrate && canCalibrate);
  const costs = settingsCosts(layers, settings);
  const rate = config.rate ?? costs.rate;
  const base = { config, bopPercent: costs.bopPercent, rate };
  // The same settings measured: the same configuration and the same compute (layer choice).
  const same = points.find(
    (p) =>
      sameConfig(p, config) &&
      Math.abs(p.bopPercent - costs.bopPercent) <= 0.005 * costs.bopPercent,
  );
  if (same) {
    return {
      ...base,
      sizeBytes: same.sizeBytes,
      sizeSource: 'measured',
      accuracy: same.accuracy,
      latencyMs: Number.isFinite(same.latencyMs) ? same.latencyMs : null,
      kind: 'measured',
      used: [same],
      reason: null,
    };
  }
  const overhead = fileOverhead(layers, config, points);
  const size = {
    sizeBytes: costs.idealBytes + (overhead ?? 0),
    sizeSource: overhead === null ? ('ideal' as const) : ('overhead' as const),
  };
  const family = points.filter((p) => sameFamily(p, config));
  const found =
    family.length === 0
      ? `no ${describeFamily(config)} points measured on these images`
      : interpolate(family, rate, config.bits);
  if (typeof found === 'string') {
    return {
      ...base,
      ...size,
      accuracy: null,
      latencyMs: null,
      kind: 'none',
      used: [],
      reason: found,
    };
  }
  return { ...base, ...size, ...found, kind: 'estimate', reason: null };
}
