// Definitions shared by the three scale searches of the grid projection; each mirrors its
// namesake in src/core/kernels/gridProjection.ts.

export function binCount(n: i32): i32 {
  let h = 16;
  while (h * 2 < n) h *= 2;
  return h;
}

/** Candidate c's scale: m = (0.2 + c/(candidates-1)) * maxAbs, s = 2m / (2^bits - 1), as float32. */
export function candidateScale(maxAbs: f64, c: i32, candidates: i32, bits: i32): f64 {
  const frac: f64 = candidates > 1 ? <f64>c / <f64>(candidates - 1) : 0;
  const m = maxAbs * (0.2 + frac);
  return <f64>(<f32>((2 * m) / <f64>((1 << bits) - 1)));
}

// Branch-free (select, not if): on random data a branch here mispredicts half the time and
// costs more than the rest of the projection.
export function roundHalfAway(v: f64): f64 {
  const t = Math.trunc(v);
  const d = v - t;
  return select<f64>(t + Math.sign(d), t, Math.abs(d) >= 0.5) + 0;
}

// @ts-ignore: decorator
@inline
export function clampF64(v: f64, lo: f64, hi: f64): f64 {
  return select<f64>(lo, select<f64>(hi, v, v > hi), v < lo);
}

// pmax (plain maxps) instead of f32x4.max, whose NaN rules cost several instructions, and
// two accumulators to halve the dependency chain; |x| is never NaN for finite input.
export function maxAbsOf(x: usize, n: i32): f64 {
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
