// Grid projection with the MSE-searched clipping range. The fast search mirrors
// src/core/kernels/gridProjection.ts operation for operation in float64 (same bins, same
// summation order), so JS and WASM pick the same scale and the same codes; read that file for
// the method. The plain search is the published one, vectorised in f32x4, as a fair baseline.

function binCount(n: i32): i32 {
  let h = 16;
  while (h * 2 < n) h *= 2;
  return h;
}

/** Scratch bytes for rows of rowLen values. */
export function projectWorkBytes(rowLen: i32): i32 {
  const bins = binCount(rowLen);
  return 12 * rowLen + 8 * bins + 8 * (rowLen + 1) + 64;
}

function candidateScale(maxAbs: f64, c: i32, candidates: i32, bits: i32): f64 {
  const frac: f64 = candidates > 1 ? <f64>c / <f64>(candidates - 1) : 0;
  const m = maxAbs * (0.2 + frac);
  return <f64>(<f32>((2 * m) / <f64>((1 << bits) - 1)));
}

function roundHalfAway(v: f64): f64 {
  const t = Math.trunc(v);
  return (Math.abs(v - t) >= 0.5 ? t + Math.sign(v) : t) + 0;
}

function maxAbsOf(x: usize, n: i32): f64 {
  let m = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) m = f32x4.max(m, f32x4.abs(v128.load(x + (<usize>i << 2))));
  let r = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; i < n; i++) r = max(r, abs(load<f32>(x + (<usize>i << 2))));
  return <f64>r;
}

// Bins of the fast search, living in the caller's scratch.
let bins: i32 = 0;
let binScale: f64 = 0;
let binMax: f64 = 0;
let start: usize = 0;
let sorted: usize = 0;
let suffix: usize = 0;
let rowN: i32 = 0;

function binOf(v: f64): i32 {
  const f = Math.floor((v + binMax) * binScale);
  return f < 0 ? 0 : f > <f64>(bins - 1) ? bins - 1 : <i32>f;
}

// Stable counting sort of x into value bins, then suffix sums of the sorted values.
function binValues(x: usize, n: i32, maxAbs: f64, work: usize): void {
  rowN = n;
  bins = binCount(n);
  binMax = maxAbs;
  binScale = <f64>bins / (2 * maxAbs);
  const binIdx = (work + 15) & ~(<usize>15);
  start = binIdx + (<usize>n << 2);
  const fill = start + (<usize>(bins + 1) << 2);
  sorted = fill + (<usize>bins << 2);
  suffix = (sorted + (<usize>n << 2) + 7) & ~(<usize>7);
  memory.fill(start, 0, <usize>(bins + 1) << 2);
  for (let i = 0; i < n; i++) {
    const bi = binOf(<f64>load<f32>(x + (<usize>i << 2)));
    store<i32>(binIdx + (<usize>i << 2), bi);
    const p = start + (<usize>(bi + 1) << 2);
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
    store<f32>(sorted + (<usize>slot << 2), load<f32>(x + (<usize>i << 2)));
    store<i32>(f, slot + 1);
  }
  store<f64>(suffix + (<usize>n << 3), 0);
  for (let i = n - 1; i >= 0; i--) {
    const s = load<f64>(suffix + (<usize>(i + 1) << 3)) + <f64>load<f32>(sorted + (<usize>i << 2));
    store<f64>(suffix + (<usize>i << 3), s);
  }
}

let tailCount: f64 = 0;
let tailSum: f64 = 0;

// Count and sum of the values whose code is >= q; see tail() in gridProjection.ts.
function tail(s: f64, q: i32): void {
  const t = (<f64>q - 0.5) * s;
  const slack = Math.abs(t) * 1e-9;
  const tLo = t - slack;
  const tHi = t + slack;
  const lo = binOf(tLo);
  const hi = binOf(tHi);
  const above = load<i32>(start + (<usize>(hi + 1) << 2));
  let count = <f64>(rowN - above);
  let sum = load<f64>(suffix + (<usize>above << 3));
  const half = <f64>q - 0.5;
  for (let i = load<i32>(start + (<usize>lo << 2)); i < above; i++) {
    const v = <f64>load<f32>(sorted + (<usize>i << 2));
    if (v < tLo) continue;
    let inside = v > tHi;
    if (!inside) {
      const r = v / s;
      inside = q > 0 ? r >= half : r > half;
    }
    if (inside) {
      count += 1;
      sum += v;
    }
  }
  tailCount = count;
  tailSum = sum;
}

function fastSearchScale(x: usize, n: i32, bits: i32, candidates: i32, work: usize): f64 {
  const maxAbs = maxAbsOf(x, n);
  if (maxAbs == 0) return 0;
  binValues(x, n, maxAbs, work);
  const qMin = -(1 << (bits - 1));
  const qMax = (1 << (bits - 1)) - 1;
  let sumSq: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(sorted + (<usize>i << 2));
    sumSq += v * v;
  }
  let best = Infinity;
  let bestScale: f64 = 0;
  for (let c = 0; c < candidates; c++) {
    const s = candidateScale(maxAbs, c, candidates, bits);
    if (s == 0) continue;
    let sumXq = <f64>qMin * load<f64>(suffix);
    let sumQq = <f64>n * <f64>qMin * <f64>qMin;
    for (let q = qMin + 1; q <= qMax; q++) {
      tail(s, q);
      sumXq += tailSum;
      sumQq += tailCount * <f64>(2 * q - 1);
    }
    const sse = sumSq - 2 * s * sumXq + s * s * sumQq;
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
      q = f32x4.max(f32x4.min(q, qMax), qMin);
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
    const q = min(max(roundHalfAway(v / <f64>s), lo), hi);
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

// The final rounding, identical to gridCode() in gridProjection.ts: float64 division.
function quantizeRow(x: usize, n: i32, s: f64, bits: i32, codes: usize, values: usize): void {
  const lo = <f64>-(1 << (bits - 1));
  const hi = <f64>((1 << (bits - 1)) - 1);
  for (let i = 0; i < n; i++) {
    let q: f64 = 0;
    if (s != 0) q = min(max(roundHalfAway(<f64>load<f32>(x + (<usize>i << 2)) / s), lo), hi);
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
    const s = plain
      ? plainSearchScale(row, n, bits, candidates)
      : fastSearchScale(row, n, bits, candidates, work);
    store<f32>(scales + (<usize>ch << 2), <f32>s);
    quantizeRow(row, n, s, bits, codes + <usize>(ch * n), values + (<usize>(ch * n) << 2));
  }
}
