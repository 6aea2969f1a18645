// Single-precision GEMM, GotoBLAS-style: op(B) is packed in KC x NC blocks of NR-column
// panels, op(A) in MC x KC blocks of MR-row panels, and an MR x 8 register-blocked f32x4
// micro-kernel. V8 on x86-64 allocates 15 SIMD registers (xmm15 is its scratch), and it issues
// all loads of a loop body before the arithmetic, so every loaded value holds a register across
// the body. Hence A's MR values per k step come in as one v128 load (rows 0-3) split into lanes
// by register shuffles, plus a broadcast load for row 4:
// - relaxed build, MR = 5: 10 accumulators + 2 B + 1 A vector + 1 broadcast + 1 splat = 15;
//   10 FMAs per 4 loads and 4 shuffles. A 6x8 tile (12 accumulators) spills in V8, and so does
//   unrolling k (the second step's loads are hoisted too).
// - plain build, MR = 4: 8 accumulators + 2 B + 1 A + 1 splat + the product's temporary = 13;
//   the multiplies and adds share two FP ports, which a 4x8 tile already keeps busy.
// A panels are PA floats per k step (5 padded to 8, so the vector load stays aligned).
// Transposes and alpha are absorbed by the packing; edge tiles are zero-padded inside the
// packs only, and written back with a scalar loop.
// Accumulation is float32 over at most KC = 256 terms per pass, then added into C.

import { lane, madd } from './simd';

/** Rows of the micro-kernel's tile (a compile-time constant per build). */
export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 5 : 4;
/** Floats per k step in a packed A panel: MR, padded to 8 for MR = 5 so loads stay aligned. */
export const PA: i32 = ASC_FEATURE_RELAXED_SIMD ? 8 : 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = ASC_FEATURE_RELAXED_SIMD ? 125 : 128; // a multiple of MR
const NC: i32 = 2048;

function roundUp(v: i32, to: i32): i32 {
  return ((v + to - 1) / to) * to;
}

/** Scratch bytes sgemm needs for these sizes. */
export function sgemmWorkBytes(m: i32, n: i32, k: i32): i32 {
  const kc = min(KC, k);
  const mc = roundUp(min(MC, m), MR);
  const nc = roundUp(min(NC, n), NR);
  return (MR * NR + (mc / MR) * PA * kc + kc * nc) * 4 + 64;
}

function scaleC(m: i32, n: i32, beta: f32, c: usize, ldc: i32): void {
  if (beta == 1) return;
  const bv = f32x4.splat(beta);
  for (let i = 0; i < m; i++) {
    const row = c + (<usize>(i * ldc) << 2);
    // beta = 0 overwrites C, as in BLAS, so NaNs already in C do not survive.
    if (beta == 0) {
      memory.fill(row, 0, <usize>n << 2);
      continue;
    }
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const p = row + (<usize>j << 2);
      v128.store(p, f32x4.mul(bv, v128.load(p)));
    }
    for (; j < n; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, beta * load<f32>(p));
    }
  }
}

// Packs alpha * op(A)[ic:ic+mc, pc:pc+kc] into MR-row panels, each kc x PA, rows past mc zero
// (the padding lanes PA - MR are never read).
function packA(
  transA: bool, a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, alpha: f32, dst: usize,
): void {
  const av = f32x4.splat(alpha);
  const step = <usize>lda << 2;
  const pStep = <usize>PA << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    if (!transA && rows == MR) {
      // Rows 0-3 of the panel, four columns at a time: a 4x4 transpose in registers; row 4
      // (MR = 5) one lane per column.
      let src = a + (<usize>((ic + ir) * lda + pc) << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const r0 = f32x4.mul(av, v128.load(src));
        const r1 = f32x4.mul(av, v128.load(src + step));
        const r2 = f32x4.mul(av, v128.load(src + 2 * step));
        const r3 = f32x4.mul(av, v128.load(src + 3 * step));
        const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
        const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
        const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
        v128.store(dst, i64x2.shuffle(t0, t1, 0, 2));
        v128.store(dst + pStep, i64x2.shuffle(t0, t1, 1, 3));
        v128.store(dst + 2 * pStep, i64x2.shuffle(t2, t3, 0, 2));
        v128.store(dst + 3 * pStep, i64x2.shuffle(t2, t3, 1, 3));
        for (let r = 4; r < MR; r++) {
          const v = f32x4.mul(av, v128.load(src + <usize>r * step));
          v128.store32_lane(dst + (<usize>r << 2), v, 0);
          v128.store32_lane(dst + pStep + (<usize>r << 2), v, 1);
          v128.store32_lane(dst + 2 * pStep + (<usize>r << 2), v, 2);
          v128.store32_lane(dst + 3 * pStep + (<usize>r << 2), v, 3);
        }
        src += 16;
        dst += 4 * pStep;
      }
      for (; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(dst + (<usize>r << 2), alpha * load<f32>(src + <usize>r * step));
        }
        src += 4;
        dst += pStep;
      }
      continue;
    }
    if (transA && rows == MR) {
      // op(A) = Aᵀ: the panel's MR rows at one p are adjacent in memory.
      let src = a + (<usize>(pc * lda + ic + ir) << 2);
      for (let p = 0; p < kc; p++) {
        v128.store(dst, f32x4.mul(av, v128.load(src)));
        for (let r = 4; r < MR; r++) {
          store<f32>(dst + (<usize>r << 2), alpha * load<f32>(src + (<usize>r << 2)));
        }
        src += step;
        dst += pStep;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        let v: f32 = 0;
        if (r < rows) {
          const i = ic + ir + r;
          const idx = transA ? (pc + p) * lda + i : i * lda + pc + p;
          v = alpha * load<f32>(a + (<usize>idx << 2));
        }
        store<f32>(dst + (<usize>r << 2), v);
      }
      dst += pStep;
    }
  }
}

// Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-column panels, each kc x NR, columns past nc zero.
function packB(
  transB: bool, b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    if (!transB && cols == NR) {
      let src = b + (<usize>(pc * ldb + jc + jr) << 2);
      const step = <usize>ldb << 2;
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += step;
        dst += 32;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      for (let cc = 0; cc < NR; cc++) {
        let v: f32 = 0;
        if (cc < cols) {
          const j = jc + jr + cc;
          const idx = transB ? j * ldb + pc + p : (pc + p) * ldb + j;
          v = load<f32>(b + (<usize>idx << 2));
        }
        store<f32>(dst, v);
        dst += 4;
      }
    }
  }
}

// tile (4 x 8, row-major) = packed A panel (kc x 4) times packed B panel (kc x 8).
// @ts-ignore: decorator
@inline
function kernel4x8(kc: i32, pa: usize, pb: usize, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const av = v128.load(pa);
    let a = lane(av, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = lane(av, 1);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = lane(av, 2);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = lane(av, 3);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 16;
    pb += 32;
  }
  v128.store(tile, c00);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
}

// tile (5 x 8, row-major) = packed A panel (kc x 5) times packed B panel (kc x 8).
// @ts-ignore: decorator
@inline
function kernel5x8(kc: i32, pa: usize, pb: usize, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const av = v128.load(pa);
    let a = lane(av, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = lane(av, 1);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = lane(av, 2);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = lane(av, 3);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41);
    pa += 4 * PA;
    pb += 32;
  }
  v128.store(tile, c00);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
  v128.store(tile, c40, 128);
  v128.store(tile, c41, 144);
}

/** tile (MR x 8, row-major) = packed A panel (kc x MR) times packed B panel (kc x 8). */
// @ts-ignore: decorator
@inline
export function microKernel(kc: i32, pa: usize, pb: usize, tile: usize): void {
  if (MR == 5) kernel5x8(kc, pa, pb, tile);
  else kernel4x8(kc, pa, pb, tile);
}

// C[0:mr, 0:nr] += tile; the full-tile case stays in SIMD.
function addTile(tile: usize, c: usize, ldc: i32, mr: i32, nr: i32): void {
  const step = <usize>ldc << 2;
  if (mr == MR && nr == NR) {
    for (let r = 0; r < MR; r++) {
      v128.store(c, f32x4.add(v128.load(c), v128.load(tile)));
      v128.store(c, f32x4.add(v128.load(c, 16), v128.load(tile, 16)), 16);
      c += step;
      tile += 32;
    }
    return;
  }
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      const p = c + (<usize>j << 2);
      store<f32>(p, load<f32>(p) + load<f32>(tile + (<usize>j << 2)));
    }
    c += step;
    tile += 32;
  }
}

function macroKernel(
  mc: i32, nc: i32, kc: i32, pa: usize, pb: usize, tile: usize, c: usize, ldc: i32,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      microKernel(kc, pa + (<usize>((ir / MR) * PA * kc) << 2), pb + (<usize>(jr * kc) << 2), tile);
      addTile(tile, c + (<usize>(ir * ldc + jr) << 2), ldc, mr, nr);
    }
  }
}

/** C = alpha op(A) op(B) + beta C, row-major; `work` holds sgemmWorkBytes(m, n, k) bytes. */
export function sgemm(
  transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32,
  b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, work: usize,
): void {
  scaleC(m, n, beta, c, ldc);
  if (k == 0 || alpha == 0) return;
  const tile = (work + 15) & ~(<usize>15);
  const pa = tile + MR * NR * 4;
  const pb = pa + (<usize>((roundUp(min(MC, m), MR) / MR) * PA * min(KC, k)) << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(transB, b, ldb, pc, jc, kc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(transA, a, lda, ic, pc, mc, kc, alpha, pa);
        macroKernel(mc, nc, kc, pa, pb, tile, c + (<usize>(ic * ldc + jc) << 2), ldc);
      }
    }
  }
}
