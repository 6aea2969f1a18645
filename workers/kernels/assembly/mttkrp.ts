// MTTKRP of a 3-way tensor without forming the Khatri-Rao product (J*K x R, larger than X at
// our ranks). Modes 0 and 1 run as GEMMs on panels of it (mttkrpGemm.ts). Mode 2 has K rows
// (9 for 3x3 convs): for each i it forms T = X[i]ᵀ B (K x 8 columns at a time, the K rows in
// blocks of at most M2 held in registers over the j loop, pure multiply-adds), then adds
// A[i] * T into the output rows in memory (2 loads + 2 stores per row and 8 columns, per i).
// The host pads: factor rows to RP (a multiple of 8) columns with zeros, and J to JP (a
// multiple of 4) by zero slices of X and zero rows of B. Accumulation is float32.
// Flops counted as 2*I*J*K*R.

import { mttkrpGemm } from './mttkrpGemm';
import { lane, madd } from './simd';

// Rows of a mode-2 block: 5 in the relaxed build (10 accumulators, as the sgemm tile), 4 in
// the plain one (a multiply then an add needs one more register).
const M2: i32 = ASC_FEATURE_RELAXED_SIMD ? 5 : 4;

// @ts-ignore: decorator
@inline
function at(base: usize, row: i32, stride: i32, col: i32): usize {
  return base + (<usize>(row * stride + col) << 2);
}

// @ts-ignore: decorator
@inline
function addScaled(po: usize, a0: v128, a1: v128, t0: v128, t1: v128): void {
  v128.store(po, madd(a0, t0, v128.load(po)));
  v128.store(po, madd(a1, t1, v128.load(po, 16)), 16);
}

// Mode 2, rows k0 .. k0 + rows - 1 (rows <= 5, a constant after inlining), columns r .. r + 7:
// out[k, r] += sum_i A[i, r] sum_j X[i, j, k] B[j, r]. Rows 0-3 of X[i, j, k0:] are one load
// split into lanes when rows >= 4, broadcast loads otherwise.
// @ts-ignore: decorator
@inline
function mode2Block(
  rows: i32, x: usize, ni: i32, jp: i32, nk: i32, a: usize, panel: usize, rp: i32, r: i32,
  k0: i32, out: usize,
): void {
  const xStep = <usize>nk << 2;
  const bStep = <usize>rp << 2;
  const po = at(out, k0, rp, r);
  for (let i = 0; i < ni; i++) {
    let t00 = f32x4.splat(0), t01 = f32x4.splat(0), t10 = f32x4.splat(0), t11 = f32x4.splat(0);
    let t20 = f32x4.splat(0), t21 = f32x4.splat(0), t30 = f32x4.splat(0), t31 = f32x4.splat(0);
    let t40 = f32x4.splat(0), t41 = f32x4.splat(0);
    let pb = panel;
    let px = at(x, i * jp, nk, k0);
    // Counting down to zero keeps the bound out of a register (V8 is short of them here).
    for (let j = jp; j > 0; j--) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      const xv = rows >= 4 ? v128.load(px) : f32x4.splat(0);
      let v = rows >= 4 ? lane(xv, 0) : v128.load32_splat(px);
      t00 = madd(v, b0, t00);
      t01 = madd(v, b1, t01);
      if (rows > 1) {
        v = rows >= 4 ? lane(xv, 1) : v128.load32_splat(px, 4);
        t10 = madd(v, b0, t10);
        t11 = madd(v, b1, t11);
      }
      if (rows > 2) {
        v = rows >= 4 ? lane(xv, 2) : v128.load32_splat(px, 8);
        t20 = madd(v, b0, t20);
        t21 = madd(v, b1, t21);
      }
      if (rows > 3) {
        v = lane(xv, 3);
        t30 = madd(v, b0, t30);
        t31 = madd(v, b1, t31);
      }
      if (rows > 4) {
        // A full load, not load32_splat: V8 folds a plain load's offset into the address but
        // keeps a second base register for a splat load's, and registers are short here.
        v = lane(v128.load(px, 16), 0);
        t40 = madd(v, b0, t40);
        t41 = madd(v, b1, t41);
      }
      pb += 32;
      px += xStep;
    }
    const pa = at(a, i, rp, r);
    const a0 = v128.load(pa);
    const a1 = v128.load(pa, 16);
    addScaled(po, a0, a1, t00, t01);
    if (rows > 1) addScaled(po + bStep, a0, a1, t10, t11);
    if (rows > 2) addScaled(po + 2 * bStep, a0, a1, t20, t21);
    if (rows > 3) addScaled(po + 3 * bStep, a0, a1, t30, t31);
    if (rows > 4) addScaled(po + 4 * bStep, a0, a1, t40, t41);
  }
}

// Mode 2 for columns r .. r + 7: the K rows split into as few blocks of at most M2 rows as
// possible, of near-equal sizes (K = 9: 5 + 4 relaxed, 3 + 3 + 3 plain; never a lone 1-row
// block after a full one). Inlined, so a constant nk makes the X stride an immediate.
// @ts-ignore: decorator
@inline
function mode2Columns(
  x: usize, ni: i32, jp: i32, nk: i32, a: usize, b: usize, rp: i32, r: i32, out: usize,
  panel: usize,
): void {
  // B[:, r:r+8] made contiguous: the j loop then steps its pointer by a constant.
  for (let j = 0; j < jp; j++) {
    const pb = at(b, j, rp, r);
    v128.store(panel + (<usize>j << 5), v128.load(pb));
    v128.store(panel + (<usize>j << 5), v128.load(pb, 16), 16);
  }
  for (let k = 0; k < nk; k++) {
    const po = at(out, k, rp, r);
    v128.store(po, f32x4.splat(0));
    v128.store(po, f32x4.splat(0), 16);
  }
  const blocks = (nk + M2 - 1) / M2;
  let k0 = 0;
  for (let blk = 0; blk < blocks; blk++) {
    const left = blocks - blk;
    const rows = (nk - k0 + left - 1) / left;
    if (rows == 5) mode2Block(5, x, ni, jp, nk, a, panel, rp, r, k0, out);
    else if (rows == 4) mode2Block(4, x, ni, jp, nk, a, panel, rp, r, k0, out);
    else if (rows == 3) mode2Block(3, x, ni, jp, nk, a, panel, rp, r, k0, out);
    else if (rows == 2) mode2Block(2, x, ni, jp, nk, a, panel, rp, r, k0, out);
    else mode2Block(1, x, ni, jp, nk, a, panel, rp, r, k0, out);
    k0 += rows;
  }
}

/**
 * MTTKRP for `mode` of X (ni x jp x nk, J padded to jp, a multiple of 4, followed by 12
 * readable bytes: mode 2 loads whole vectors) with factors
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
    const panel = (work + 15) & ~(<usize>15);
    // K = 9 (3x3 convolutions) compiled apart with its stride a constant: V8 is short of
    // general registers in the j loop and would reload the stride from the stack each step.
    if (nk == 9) {
      for (let r = 0; r < rp; r += 8) mode2Columns(x, ni, jp, 9, a, b, rp, r, out, panel);
    } else {
      for (let r = 0; r < rp; r += 8) mode2Columns(x, ni, jp, nk, a, b, rp, r, out, panel);
    }
  }
}
