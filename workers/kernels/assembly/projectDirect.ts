// One pass over the row per candidate: the published search vectorised in f32x4 with f32
// partial sums (the benchmark's baseline, projectToGridPlain), and the float64 direct search
// that projectToGrid uses where the fast search does not pay (mirrors gridSse()).
import { candidateScale, clampF64, maxAbsOf, roundHalfAway } from './projectCommon';

// Sum of squared errors on the grid of scale s in f32x4 (lanes flushed to f64 every 256).
function plainSse(x: usize, n: i32, s: f32, bits: i32): f64 {
  const sv = f32x4.splat(s);
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1);
  const signBit = i32x4.splat(0x80000000);
  const qMin = f32x4.splat(<f32>-(1 << (bits - 1)));
  const qMax = f32x4.splat(<f32>((1 << (bits - 1)) - 1));
  let total: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    let acc = f32x4.splat(0);
    const end = min(n & ~3, i + 256);
    for (; i < end; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const r = f32x4.div(v, sv);
      const t = f32x4.trunc(r);
      const away = f32x4.ge(f32x4.abs(f32x4.sub(r, t)), half);
      const step = v128.or(v128.and(r, signBit), one);
      let q = v128.bitselect(f32x4.add(t, step), t, away);
      q = f32x4.pmax(f32x4.pmin(q, qMax), qMin);
      const e = f32x4.sub(v, f32x4.mul(sv, q));
      acc = f32x4.add(acc, f32x4.mul(e, e));
    }
    total += <f64>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1));
    total += <f64>(f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  }
  const lo = <f64>-(1 << (bits - 1));
  const hi = <f64>((1 << (bits - 1)) - 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    const q = min(max(roundHalfAway(<f64>(<f32>v / s)), lo), hi);
    const e = v - <f64>s * q;
    total += e * e;
  }
  return total;
}

export function plainSearchScale(x: usize, n: i32, bits: i32, candidates: i32): f64 {
  const maxAbs = maxAbsOf(x, n);
  if (maxAbs == 0) return 0;
  let best = Infinity;
  let bestScale: f64 = 0;
  for (let c = 0; c < candidates; c++) {
    const s = candidateScale(maxAbs, c, candidates, bits);
    if (s == 0) continue;
    const sse = plainSse(x, n, <f32>s, bits);
    if (sse < best) {
      best = sse;
      bestScale = s;
    }
  }
  return bestScale;
}

// Sum of squared errors exactly as gridSse() in gridProjection.ts computes it: codes from
// the float32 division, errors and squares in float64, lane 0 summing even and lane 1 odd
// indices.
function directSse(x: usize, n: i32, s: f64, bits: i32): f64 {
  const s32 = <f32>s;
  const sv = f32x4.splat(s32);
  const sd = f64x2.splat(s);
  const lov = f32x4.splat(<f32>-(1 << (bits - 1)));
  const hiv = f32x4.splat(<f32>((1 << (bits - 1)) - 1));
  const signBit = i32x4.splat(0x80000000);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const r = f32x4.div(v, sv);
    const t = f32x4.trunc(r);
    const d = f32x4.sub(r, t);
    const step = v128.or(v128.and(d, signBit), f32x4.splat(1));
    let q = v128.bitselect(f32x4.add(t, step), t, f32x4.ge(f32x4.abs(d), f32x4.splat(0.5)));
    q = f32x4.pmax(f32x4.pmin(q, hiv), lov);
    const e0 = f64x2.sub(f64x2.promote_low_f32x4(v), f64x2.mul(sd, f64x2.promote_low_f32x4(q)));
    acc = f64x2.add(acc, f64x2.mul(e0, e0));
    const vh = i32x4.shuffle(v, v, 2, 3, 0, 1);
    const qh = i32x4.shuffle(q, q, 2, 3, 0, 1);
    const e1 = f64x2.sub(f64x2.promote_low_f32x4(vh), f64x2.mul(sd, f64x2.promote_low_f32x4(qh)));
    acc = f64x2.add(acc, f64x2.mul(e1, e1));
  }
  let lane0 = f64x2.extract_lane(acc, 0);
  let lane1 = f64x2.extract_lane(acc, 1);
  const lo = <f64>-(1 << (bits - 1));
  const hi = <f64>((1 << (bits - 1)) - 1);
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    const q = clampF64(roundHalfAway(<f64>(v / s32)), lo, hi);
    const e = <f64>v - s * q;
    if (i & 1) lane1 += e * e;
    else lane0 += e * e;
  }
  return lane0 + lane1;
}

// One direct pass per candidate, for rows where the fast search does not pay.
export function directSearchScale(x: usize, n: i32, bits: i32, candidates: i32): f64 {
  const maxAbs = maxAbsOf(x, n);
  if (maxAbs == 0) return 0;
  let best = Infinity;
  let bestScale: f64 = 0;
  for (let c = 0; c < candidates; c++) {
    const s = candidateScale(maxAbs, c, candidates, bits);
    if (s == 0) continue;
    const sse = directSse(x, n, s, bits);
    if (sse < best) {
      best = sse;
      bestScale = s;
    }
  }
  return bestScale;
}
