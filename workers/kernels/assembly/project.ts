// Grid projection with the MSE-searched clipping range. The fast search mirrors
// src/core/kernels/gridProjection.ts operation for operation (float32 division x / s, float64
// sums in the same order, same bins), so JS and WASM pick the same scale and the same codes;
// read that file for the method. The plain search is the published one, vectorised in f32x4
// (with f32 partial sums), as a fair baseline.

function binCount(n: i32): i32 {
  let h = 16;
  while (h * 2 < n) h *= 2;
  return h;
}

/** Scratch bytes for rows of rowLen values. */
export function projectWorkBytes(rowLen: i32, candidates: i32): i32 {
  const bins = binCount(rowLen);
  return 12 * rowLen + 8 * bins + 8 * (rowLen + 1) + 24 * candidates + 96;
}

function candidateScale(maxAbs: f64, c: i32, candidates: i32, bits: i32): f64 {
  const frac: f64 = candidates > 1 ? <f64>c / <f64>(candidates - 1) : 0;
  const m = maxAbs * (0.2 + frac);
  return <f64>(<f32>((2 * m) / <f64>((1 << bits) - 1)));
}

// Branch-free (select, not if): on random data a branch here mispredicts half the time and
// costs more than the rest of the projection.
function roundHalfAway(v: f64): f64 {
  const t = Math.trunc(v);
  const d = v - t;
  return select<f64>(t + Math.sign(d), t, Math.abs(d) >= 0.5) + 0;
}

// @ts-ignore: decorator
@inline
function clampF64(v: f64, lo: f64, hi: f64): f64 {
  return select<f64>(lo, select<f64>(hi, v, v > hi), v < lo);
}

// pmax (plain maxps) instead of f32x4.max, whose NaN rules cost several instructions, and
// two accumulators to halve the dependency chain; |x| is never NaN for finite input.
function maxAbsOf(x: usize, n: i32): f64 {
  let m0 = f32x4.splat(0);
  let m1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    m0 = f32x4.pmax(m0, f32x4.abs(v128.load(x + (<usize>i << 2))));
    m1 = f32x4.pmax(m1, f32x4.abs(v128.load(x + (<usize>i << 2), 16)));
  }
  const m = f32x4.pmax(m0, m1);
  let r = max(
    max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)),
    max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)),
  );
  for (; i < n; i++) r = max(r, abs(load<f32>(x + (<usize>i << 2))));
  return <f64>r;
}

// Bins of the fast search, living in the caller's scratch. Bin indices are computed in f32
// (f32x4 here, emulated with Math.fround in gridProjection.ts), so both builds bin alike.
let bins: i32 = 0;
let binScale: f32 = 0;
let binMax: f32 = 0;
let start: usize = 0;
let binned: usize = 0;
let suffix: usize = 0;
let rowN: i32 = 0;
let sumSq: f64 = 0;

function binOf(v: f64): i32 {
  const f = <i32>((<f32>v + binMax) * binScale);
  return min(max(f, 0), bins - 1);
}

function binIndices(x: usize, n: i32, dst: usize): void {
  const offset = f32x4.splat(binMax);
  const scale = f32x4.splat(binScale);
  const zero = i32x4.splat(0);
  const top = i32x4.splat(bins - 1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const b = i32x4.trunc_sat_f32x4_s(f32x4.mul(f32x4.add(v, offset), scale));
    v128.store(dst + (<usize>i << 2), i32x4.min_s(i32x4.max_s(b, zero), top));
  }
  for (; i < n; i++) store<i32>(dst + (<usize>i << 2), binOf(<f64>load<f32>(x + (<usize>i << 2))));
}

// Stable counting sort of x into value bins, then suffix sums in that order.
function binValues(x: usize, n: i32, maxAbs: f64, work: usize): void {
  rowN = n;
  bins = binCount(n);
  binMax = <f32>maxAbs;
  binScale = <f32>(<f64>bins / (2 * maxAbs));
  const binIdx = (work + 15) & ~(<usize>15);
  start = binIdx + (<usize>n << 2);
  const fill = start + (<usize>(bins + 1) << 2);
  binned = fill + (<usize>bins << 2);
  suffix = (binned + (<usize>n << 2) + 7) & ~(<usize>7);
  memory.fill(start, 0, <usize>(bins + 1) << 2);
  binIndices(x, n, binIdx);
  for (let i = 0; i < n; i++) {
    const p = start + (<usize>(load<i32>(binIdx + (<usize>i << 2)) + 1) << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
  for (let h = 0; h < bins; h++) {
    const p = start + (<usize>(h + 1) << 2);
    store<i32>(p, load<i32>(p) + load<i32>(p - 4));
  }
  memory.copy(fill, start, <usize>bins << 2);
  for (let i = 0; i < n; i++) {
    const f = fill + (<usize>load<i32>(binIdx + (<usize>i << 2)) << 2);
    const slot = load<i32>(f);
    store<f32>(binned + (<usize>slot << 2), load<f32>(x + (<usize>i << 2)));
    store<i32>(f, slot + 1);
  }
  let acc: f64 = 0;
  let sq: f64 = 0;
  store<f64>(suffix + (<usize>n << 3), 0);
  for (let i = n - 1; i >= 0; i--) {
    const v = <f64>load<f32>(binned + (<usize>i << 2));
    acc += v;
    sq += v * v;
    store<f64>(suffix + (<usize>i << 3), acc);
  }
  sumSq = sq;
}

let tailCount: f64 = 0;
let tailSum: f64 = 0;

// Count and sum of the values whose code is >= q; see tail() in gridProjection.ts. Same
// values added in the same order; the common cases are added branch-free (select), since on
// real data a branch here mispredicts often.
function tail(s: f64, q: i32): void {
  const t = (<f64>q - 0.5) * s;
  const slack = Math.abs(t) * 1e-6;
  const tLo = t - slack;
  const tHi = t + slack;
  const above = load<i32>(start + (<usize>(binOf(tHi) + 1) << 2));
  const half = <f64>q - 0.5;
  let count = rowN - above;
  let sum = load<f64>(suffix + (<usize>above << 3));
  for (let i = load<i32>(start + (<usize>binOf(tLo) << 2)); i < above; i++) {
    const v = <f64>load<f32>(binned + (<usize>i << 2));
    let inside = v > tHi;
    if (!inside && v >= tLo) {
      const r = <f64>(<f32>v / <f32>s);
      inside = q > 0 ? r >= half : r > half;
    }
    count += <i32>inside;
    sum += select<f64>(v, 0, inside);
  }
  tailCount = <f64>count;
  tailSum = sum;
}

function fastSearchScale(x: usize, n: i32, bits: i32, candidates: i32, work: usize): f64 {
  const maxAbs = maxAbsOf(x, n);
  if (maxAbs == 0) return 0;
  binValues(x, n, maxAbs, work);
  const qMin = -(1 << (bits - 1));
  const qMax = (1 << (bits - 1)) - 1;
  // Threshold-major, as in gridProjection.ts; per-candidate sums live after the bins.
  const scales = (suffix + (<usize>(n + 1) << 3) + 15) & ~(<usize>15);
  const sumXq = scales + (<usize>candidates << 3);
  const sumQq = sumXq + (<usize>candidates << 3);
  for (let c = 0; c < candidates; c++) {
    const o = <usize>c << 3;
    store<f64>(scales + o, candidateScale(maxAbs, c, candidates, bits));
    store<f64>(sumXq + o, <f64>qMin * load<f64>(suffix));
    store<f64>(sumQq + o, <f64>n * <f64>qMin * <f64>qMin);
  }
  for (let q = qMin + 1; q <= qMax; q++) {
    const weight = <f64>(2 * q - 1);
    for (let c = 0; c < candidates; c++) {
      const o = <usize>c << 3;
      const s = load<f64>(scales + o);
      if (s == 0) continue;
      tail(s, q);
      store<f64>(sumXq + o, load<f64>(sumXq + o) + tailSum);
      store<f64>(sumQq + o, load<f64>(sumQq + o) + tailCount * weight);
    }
  }
  let best = Infinity;
  let bestScale: f64 = 0;
  for (let c = 0; c < candidates; c++) {
    const o = <usize>c << 3;
    const s = load<f64>(scales + o);
    if (s == 0) continue;
    const sse = sumSq - 2 * s * load<f64>(sumXq + o) + s * s * load<f64>(sumQq + o);
    if (sse < best) {
      best = sse;
      bestScale = s;
    }
  }
  return bestScale;
}

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

function plainSearchScale(x: usize, n: i32, bits: i32, candidates: i32): f64 {
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
function directSearchScale(x: usize, n: i32, bits: i32, candidates: i32): f64 {
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

// The final rounding, identical to gridCode() in gridProjection.ts: float32 division, half
// away from zero (trunc, then a step away where the exact remainder is >= 0.5), clamp.
function quantizeRow(x: usize, n: i32, s: f64, bits: i32, codes: usize, values: usize): void {
  const lo = <f32>-(1 << (bits - 1));
  const hi = <f32>((1 << (bits - 1)) - 1);
  if (s == 0) {
    memory.fill(codes, 0, <usize>n);
    memory.fill(values, 0, <usize>n << 2);
    return;
  }
  const s32 = <f32>s;
  const sv = f32x4.splat(s32);
  const lov = f32x4.splat(lo);
  const hiv = f32x4.splat(hi);
  const signBit = i32x4.splat(0x80000000);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const r = f32x4.div(v128.load(x + (<usize>i << 2)), sv);
    const t = f32x4.trunc(r);
    const d = f32x4.sub(r, t);
    const step = v128.or(v128.and(d, signBit), f32x4.splat(1));
    let q = v128.bitselect(f32x4.add(t, step), t, f32x4.ge(f32x4.abs(d), f32x4.splat(0.5)));
    // pmin/pmax are plain minps/maxps; + 0 turns -0 into +0.
    q = f32x4.add(f32x4.pmax(f32x4.pmin(q, hiv), lov), f32x4.splat(0));
    const c16 = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(q), i32x4.splat(0));
    v128.store32_lane(codes + <usize>i, i8x16.narrow_i16x8_s(c16, c16), 0);
    v128.store(values + (<usize>i << 2), f32x4.mul(sv, q));
  }
  for (; i < n; i++) {
    const r = <f64>(load<f32>(x + (<usize>i << 2)) / s32);
    const q = clampF64(roundHalfAway(r), <f64>lo, <f64>hi);
    store<i8>(codes + <usize>i, <i8>q);
    store<f32>(values + (<usize>i << 2), <f32>(s * q));
  }
}

/** Projects `channels` contiguous rows of x (total values) each with its own searched scale. */
export function projectToGrid(
  x: usize, total: i32, channels: i32, bits: i32, candidates: i32, plain: bool, codes: usize,
  scales: usize, values: usize, work: usize,
): void {
  const n = total / channels;
  for (let ch = 0; ch < channels; ch++) {
    const row = x + (<usize>(ch * n) << 2);
    // Same choice as projectToGrid() in gridProjection.ts (fastSearchPays).
    let s: f64;
    if (plain) s = plainSearchScale(row, n, bits, candidates);
    else if (n >= 16 * ((1 << bits) - 1)) s = fastSearchScale(row, n, bits, candidates, work);
    else s = directSearchScale(row, n, bits, candidates);
    store<f32>(scales + (<usize>ch << 2), <f32>s);
    quantizeRow(row, n, s, bits, codes + <usize>(ch * n), values + (<usize>(ch * n) << 2));
  }
}
