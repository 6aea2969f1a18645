// Axis scales and ticks for the trade-off charts (plain SVG): linear or log, "nice" tick values,
// and the accuracy range that matters.

export interface Scale {
  (value: number): number;
  domain: [number, number];
  ticks: number[];
  log: boolean;
}

/** About `count` round values (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/** 1, 2 and 5 times powers of ten inside [lo, hi] (lo > 0); every power of ten when many. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks.length > 7 ? ticks.filter((v) => Math.abs(Math.log10(v) % 1) < 1e-9) : ticks;
}

/** Maps [lo, hi] onto [from, to] (pixels; to < from for a y axis). */
export function makeScale(
  domain: [number, number],
  range: [number, number],
  log = false,
  tickCount = 5,
): Scale {
  const [lo, hi] = domain;
  const t = log ? (v: number) => Math.log10(v) : (v: number) => v;
  const span = t(hi) - t(lo) || 1;
  const scale = ((v: number) =>
    range[0] + ((t(v) - t(lo)) / span) * (range[1] - range[0])) as Scale;
  scale.domain = domain;
  scale.log = log;
  scale.ticks = log ? logTicks(lo, hi) : niceTicks(lo, hi, tickCount);
  return scale;
}

/** A domain around the values with a margin; a log domain stays positive. */
export function paddedDomain(values: readonly number[], log: boolean): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (finite.length === 0) return log ? [1, 10] : [0, 1];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (log) return [lo / 1.25, hi * 1.25];
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
  return [Math.max(0, lo - pad), hi + pad];
}

/** How far below the best accuracy the zoomed axis reaches for front points and the marker. */
export const FOCUS_BAND = 20;

/**
 * The accuracy range that matters: from the lowest point worth choosing (front points, the
 * marker and the float line within FOCUS_BAND points of the best) to the best, at least
 * `minSpan` points wide, inside [0, 100]. Points below it are drawn on the bottom edge.
 */
export function focusDomain(
  relevant: readonly number[],
  all: readonly number[],
  minSpan = 6,
): [number, number] {
  const every = [...relevant, ...all].filter(Number.isFinite);
  if (every.length === 0) return [0, 100];
  const hi = Math.max(...every);
  const near = relevant.filter((v) => Number.isFinite(v) && v >= hi - FOCUS_BAND);
  let lo = near.length > 0 ? Math.min(...near) : hi - FOCUS_BAND;
  if (hi - lo < minSpan) lo = hi - minSpan;
  const pad = (hi - lo) * 0.08;
  return [Math.max(0, Math.floor(lo - pad)), Math.min(100, Math.ceil(hi + pad))];
}
