// Grid projection with the MSE-searched clipping range: per row, pick the scale (fast exact
// search in projectFast.ts, or a direct pass per candidate in projectDirect.ts, by the same
// rule as src/core/kernels/gridProjection.ts), then round. Every decision mirrors that file
// operation for operation (float32 division x / s, float64 sums in the same order), so JS and
// WASM pick the same scale and the same codes.

import { binCount, clampF64, roundHalfAway } from './projectCommon';
import { directSearchScale, plainSearchScale } from './projectDirect';
import { fastSearchScale } from './projectFast';

export function projectWorkBytes(rowLen: i32, candidates: i32): i32 {
  const bins = binCount(rowLen);
  return 12 * rowLen + 8 * bins + 8 * (rowLen + 1) + 24 * candidates + 96;
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
