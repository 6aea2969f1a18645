// MTTKRP of a 3-way tensor without forming the Khatri-Rao product (J*K x R, larger than X at
// our ranks). Modes 0 and 1 run as GEMMs on panels of it (mttkrpGemm.ts). Mode 2 (K rows,
// 9 for 3x3 convs, too few for 4-row panels to pay) keeps 4 output rows x 8 columns in
// registers over one pass through X, with w = A[i] * B[j] formed on the fly.
// The host pads: factor rows to RP (a multiple of 8) columns with zeros, and J to JP (a
// multiple of 4) by zero slices of X and zero rows of B. Accumulation is float32.
// Flops counted as 2*I*J*K*R.

import { mttkrpGemm } from './mttkrpGemm';
import { madd } from './simd';

// @ts-ignore: decorator
@inline
function at(base: usize, row: i32, stride: i32, col: i32): usize {
  return base + (<usize>(row * stride + col) << 2);
}

// Mode 2, rows k0..k0+3: out[k, r] = sum_{i,j} X[i, j, k] (A[i, r] B[j, r]).
function mode2Block4(
  x: usize, ni: i32, jp: i32, nk: i32, a: usize, b: usize, rp: i32, r: i32, k0: i32, out: usize,
): void {
  let o00 = f32x4.splat(0), o01 = f32x4.splat(0), o10 = f32x4.splat(0), o11 = f32x4.splat(0);
  let o20 = f32x4.splat(0), o21 = f32x4.splat(0), o30 = f32x4.splat(0), o31 = f32x4.splat(0);
  for (let i = 0; i < ni; i++) {
    const pa = at(a, i, rp, r);
    const a0 = v128.load(pa);
    const a1 = v128.load(pa, 16);
    let pb = at(b, 0, rp, r);
    let px = at(x, i * jp, nk, k0);
    for (let j = 0; j < jp; j++) {
      const w0 = f32x4.mul(a0, v128.load(pb));
      const w1 = f32x4.mul(a1, v128.load(pb, 16));
      let v = v128.load32_splat(px);
      o00 = madd(v, w0, o00);
      o01 = madd(v, w1, o01);
      v = v128.load32_splat(px, 4);
      o10 = madd(v, w0, o10);
      o11 = madd(v, w1, o11);
      v = v128.load32_splat(px, 8);
      o20 = madd(v, w0, o20);
      o21 = madd(v, w1, o21);
      v = v128.load32_splat(px, 12);
      o30 = madd(v, w0, o30);
      o31 = madd(v, w1, o31);
      pb += <usize>rp << 2;
      px += <usize>nk << 2;
    }
  }
  const po = at(out, k0, rp, r);
  const os = <usize>rp << 2;
  v128.store(po, o00);
  v128.store(po, o01, 16);
  v128.store(po + os, o10);
  v128.store(po + os, o11, 16);
  v128.store(po + 2 * os, o20);
  v128.store(po + 2 * os, o21, 16);
  v128.store(po + 3 * os, o30);
  v128.store(po + 3 * os, o31, 16);
}

// Mode 2, the single row k0 (for K not a multiple of 4).
function mode2Block1(
  x: usize, ni: i32, jp: i32, nk: i32, a: usize, b: usize, rp: i32, r: i32, k0: i32, out: usize,
): void {
  let o0 = f32x4.splat(0), o1 = f32x4.splat(0);
  for (let i = 0; i < ni; i++) {
    const pa = at(a, i, rp, r);
    const a0 = v128.load(pa);
    const a1 = v128.load(pa, 16);
    let pb = at(b, 0, rp, r);
    let px = at(x, i * jp, nk, k0);
    for (let j = 0; j < jp; j++) {
      const v = v128.load32_splat(px);
      o0 = madd(v, f32x4.mul(a0, v128.load(pb)), o0);
      o1 = madd(v, f32x4.mul(a1, v128.load(pb, 16)), o1);
      pb += <usize>rp << 2;
      px += <usize>nk << 2;
    }
  }
  const po = at(out, k0, rp, r);
  v128.store(po, o0);
  v128.store(po, o1, 16);
}

/**
 * MTTKRP for `mode` of X (ni x jp x nk, J padded to jp, a multiple of 4) with factors
 * A (ni x rp), B (jp x rp), C (nk x rp), rp a multiple of 8; out is dims[mode] x rp
 * (jp x rp for mode 1); `work` holds mttkrpWorkBytes(ni, jp, nk, mode) bytes.
 */
export function mttkrp3(
  x: usize, ni: i32, jp: i32, nk: i32, a: usize, b: usize, c: usize, rp: i32, mode: i32,
  out: usize, work: usize,
): void {
  if (mode == 0) {
    mttkrpGemm(x, ni, jp, nk, b, c, rp, 0, out, work);
  } else if (mode == 1) {
    mttkrpGemm(x, ni, jp, nk, a, c, rp, 1, out, work);
  } else {
    for (let r = 0; r < rp; r += 8) {
      let k = 0;
      for (; k + 4 <= nk; k += 4) mode2Block4(x, ni, jp, nk, a, b, rp, r, k, out);
      for (; k < nk; k++) mode2Block1(x, ni, jp, nk, a, b, rp, r, k, out);
    }
  }
}
