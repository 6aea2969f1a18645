// The fast exact scale search (method in src/core/kernels/gridProjection.ts, mirrored here
// operation for operation: same bins, same float64 sums in the same order).
import { binCount, candidateScale, clampF64, maxAbsOf } from './projectCommon';

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

export function fastSearchScale(x: usize, n: i32, bits: i32, candidates: i32, work: usize): f64 {
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
