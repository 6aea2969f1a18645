// Expanding a grid spec into the ordered list of points. Order matters for cost: every
// calibrated point directly follows its uncalibrated twin so an evaluator can reuse the
// compressed model it just built.
import { isMethodId, METHODS } from '../factor/methods/index.ts';
import { FLOAT_BITS } from '../util/units.ts';
import type { SweepGridSpec, SweepMethod, SweepPoint } from './types.ts';

export function expandGrid(spec: SweepGridSpec): SweepPoint[] {
  const actBitsList = spec.actBits?.length ? spec.actBits : [null];
  const calibration = spec.calibration ?? true;
  const methods = [...spec.methods];
  if ((spec.quantizationOnly ?? true) && !methods.includes('ptq')) methods.push('ptq');
  const points: SweepPoint[] = [];
  if (spec.includeFloat ?? true) {
    points.push({
      method: 'float',
      rate: null,
      bits: FLOAT_BITS,
      actBits: null,
      calibrated: false,
    });
  }
  for (const actBits of actBitsList) {
    for (const method of methods) {
      for (const base of methodPoints(method, spec, actBits)) {
        points.push(base);
        if (calibration) points.push({ ...base, calibrated: true });
      }
    }
  }
  return dedupe(points);
}

function methodPoints(method: SweepMethod, spec: SweepGridSpec, actBits: number | null) {
  const points: SweepPoint[] = [];
  if (method === 'float') return points;
  if (!isMethodId(method)) throw new Error(`sweep: unknown method '${method}'`);
  const entry = METHODS[method];
  // A method without bits (float CP) has one point per rate; one without rank, one per width.
  const bitsList = entry.quantizes ? spec.bits : [FLOAT_BITS];
  if (!entry.factorizes) {
    for (const bits of bitsList)
      points.push({ method, rate: null, bits, actBits, calibrated: false });
    return points;
  }
  for (const rate of spec.rates) {
    for (const bits of bitsList) points.push({ method, rate, bits, actBits, calibrated: false });
  }
  return points;
}

function dedupe(points: SweepPoint[]): SweepPoint[] {
  const seen = new Set<string>();
  return points.filter((p) => {
    const id = pointId(p);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** A short human-readable id, e.g. "admm r2 w4 a32 cal". */
export function pointId(p: SweepPoint): string {
  const rate = p.rate === null ? '' : ` r${p.rate}`;
  const act = p.actBits === null ? 'a32' : `a${p.actBits}`;
  return `${p.method}${rate} w${p.bits} ${act}${p.calibrated ? ' cal' : ''}`;
}

/** The point's configuration as it enters the cache key (only the fields that define it). */
export function pointConfig(p: SweepPoint): SweepPoint {
  return {
    method: p.method,
    rate: p.rate,
    bits: p.bits,
    actBits: p.actBits,
    calibrated: p.calibrated,
  };
}

export { SWEEP_CALIBRATION_IMAGES } from '../calibrate/defaults.ts';
