// MTTKRP of a 3-way tensor, fused so the Khatri-Rao product (J*K x R) is never formed.
// The host pads: factor rows to RP (a multiple of 8) columns with zeros, and J to JP (a
// multiple of 4) by zero slices of X and zero rows of B, so every kernel below runs on full
// 2-vector (8-column) chunks and full j-blocks. Accumulation is float32 in registers.
// Flops counted as 2*I*J*K*R; mode 0 and 1 add 2*I*J*R for the Hadamard-reduction.

import { madd } from './simd';

// @ts-ignore: decorator
@inline
function at(base: usize, row: i32, stride: i32, col: i32): usize {
  return base + (<usize>(row * stride + col) << 2);
}

// Mode 0: out[i, r] = sum_j B[j, r] * sum_k X[i, j, k] C[k, r], four j at a time.
function mode0(x: usize, ni: i32, jp: i32, nk: i32, b: usize, c: usize, rp: i32, out: usize): void {
  for (let i = 0; i < ni; i++) {
    for (let r = 0; r < rp; r += 8) {
      let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
      for (let j = 0; j < jp; j += 4) {
        let t00 = f32x4.splat(0), t01 = f32x4.splat(0), t10 = f32x4.splat(0), t11 = f32x4.splat(0);
        let t20 = f32x4.splat(0), t21 = f32x4.splat(0), t30 = f32x4.splat(0), t31 = f32x4.splat(0);
        let px = at(x, i * jp + j, nk, 0);
        let pc = at(c, 0, rp, r);
        const xs = <usize>nk << 2;
        for (let k = 0; k < nk; k++) {
          const c0 = v128.load(pc);
          const c1 = v128.load(pc, 16);
          let v = v128.load32_splat(px);
          t00 = madd(v, c0, t00);
          t01 = madd(v, c1, t01);
          v = v128.load32_splat(px + xs);
          t10 = madd(v, c0, t10);
          t11 = madd(v, c1, t11);
          v = v128.load32_splat(px + 2 * xs);
          t20 = madd(v, c0, t20);
          t21 = madd(v, c1, t21);
          v = v128.load32_splat(px + 3 * xs);
          t30 = madd(v, c0, t30);
          t31 = madd(v, c1, t31);
          px += 4;
          pc += <usize>rp << 2;
        }
        const pb = at(b, j, rp, r);
        const bs = <usize>rp << 2;
        acc0 = madd(v128.load(pb), t00, acc0);
        acc1 = madd(v128.load(pb, 16), t01, acc1);
        acc0 = madd(v128.load(pb + bs), t10, acc0);
        acc1 = madd(v128.load(pb + bs, 16), t11, acc1);
        acc0 = madd(v128.load(pb + 2 * bs), t20, acc0);
        acc1 = madd(v128.load(pb + 2 * bs, 16), t21, acc1);
        acc0 = madd(v128.load(pb + 3 * bs), t30, acc0);
        acc1 = madd(v128.load(pb + 3 * bs, 16), t31, acc1);
      }
      const po = at(out, i, rp, r);
      v128.store(po, acc0);
      v128.store(po, acc1, 16);
    }
  }
}

// Mode 1: out[j, r] = sum_i A[i, r] * sum_k X[i, j, k] C[k, r], two j at a time.
function mode1(x: usize, ni: i32, jp: i32, nk: i32, a: usize, c: usize, rp: i32, out: usize): void {
  const xs = <usize>nk << 2;
  for (let j = 0; j < jp; j += 2) {
    for (let r = 0; r < rp; r += 8) {
      let o00 = f32x4.splat(0), o01 = f32x4.splat(0), o10 = f32x4.splat(0), o11 = f32x4.splat(0);
      for (let i = 0; i < ni; i++) {
        let t00 = f32x4.splat(0), t01 = f32x4.splat(0), t10 = f32x4.splat(0), t11 = f32x4.splat(0);
        let px = at(x, i * jp + j, nk, 0);
        let pc = at(c, 0, rp, r);
        for (let k = 0; k < nk; k++) {
          const c0 = v128.load(pc);
          const c1 = v128.load(pc, 16);
          let v = v128.load32_splat(px);
          t00 = madd(v, c0, t00);
          t01 = madd(v, c1, t01);
          v = v128.load32_splat(px + xs);
          t10 = madd(v, c0, t10);
          t11 = madd(v, c1, t11);
          px += 4;
          pc += <usize>rp << 2;
        }
        const pa = at(a, i, rp, r);
        const a0 = v128.load(pa);
        const a1 = v128.load(pa, 16);
        o00 = madd(a0, t00, o00);
        o01 = madd(a1, t01, o01);
        o10 = madd(a0, t10, o10);
        o11 = madd(a1, t11, o11);
      }
      const po = at(out, j, rp, r);
      v128.store(po, o00);
      v128.store(po, o01, 16);
      v128.store(po + (<usize>rp << 2), o10);
      v128.store(po + (<usize>rp << 2), o11, 16);
    }
  }
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
 * (jp x rp for mode 1).
 */
export function mttkrp3(
  x: usize, ni: i32, jp: i32, nk: i32, a: usize, b: usize, c: usize, rp: i32, mode: i32,
  out: usize,
): void {
  if (mode == 0) {
    mode0(x, ni, jp, nk, b, c, rp, out);
  } else if (mode == 1) {
    mode1(x, ni, jp, nk, a, c, rp, out);
  } else {
    for (let r = 0; r < rp; r += 8) {
      let k = 0;
      for (; k + 4 <= nk; k += 4) mode2Block4(x, ni, jp, nk, a, b, rp, r, k, out);
      for (; k < nk; k++) mode2Block1(x, ni, jp, nk, a, b, rp, r, k, out);
    }
  }
}
