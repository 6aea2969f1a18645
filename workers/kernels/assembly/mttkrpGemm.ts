// MTTKRP modes 0 and 1 as GEMMs on the sgemm micro-kernel: out (rows x R) = Xm (rows x L) W,
// where Xm is X unfolded along the mode and W (L x R) the Khatri-Rao product of the other two
// factors. W is never formed whole (it is larger than X at our ranks): it is built 8 columns
// at a time, straight into the packed-panel layout the micro-kernel reads (L x 8 floats, in L1
// for 3x3 convs). Xm is packed once into MR-row panels (MR = the sgemm tile's rows).
import { MR, microKernel, PA } from './sgemm';

/** Scratch bytes mttkrp3 needs for this mode (mode 2: one contiguous jp x 8 panel of B). */
export function mttkrpWorkBytes(ni: i32, jp: i32, nk: i32, mode: i32): i32 {
  if (mode == 2) return jp * 8 * 4 + 64;
  const rows = mode == 0 ? ni : jp;
  const len = mode == 0 ? jp * nk : ni * nk;
  return (((rows + MR - 1) / MR) * PA * len + len * 8 + MR * 8) * 4 + 64;
}

// Packs rows `row` .. row + MR - 1 of the unfolding into a panel: element l of row u goes to
// dst[l * PA + u]. Mode 0: row i, l = j * nk + k. Mode 1: row j, l = i * nk + k.
function packPanel(x: usize, ni: i32, jp: i32, nk: i32, mode: i32, row: i32, rows: i32, dst: usize): void {
  const len = mode == 0 ? jp * nk : ni * nk;
  const pStep = <usize>PA << 2;
  for (let u = 0; u < MR; u++) {
    let p = dst + (<usize>u << 2);
    if (row + u >= rows) {
      for (let l = 0; l < len; l++, p += pStep) store<f32>(p, 0);
      continue;
    }
    if (mode == 0) {
      const src = x + (<usize>((row + u) * len) << 2);
      for (let l = 0; l < len; l++, p += pStep) store<f32>(p, load<f32>(src + (<usize>l << 2)));
    } else {
      for (let i = 0; i < ni; i++) {
        const src = x + (<usize>((i * jp + row + u) * nk) << 2);
        for (let k = 0; k < nk; k++, p += pStep) store<f32>(p, load<f32>(src + (<usize>k << 2)));
      }
    }
  }
}

// W[:, r0:r0+8] for l = outer * nk + k: f[outer, r0:r0+8] * c[k, r0:r0+8].
function buildPanel(f: usize, nOuter: i32, c: usize, nk: i32, rp: i32, r0: i32, dst: usize): void {
  for (let o = 0; o < nOuter; o++) {
    const pf = f + (<usize>(o * rp + r0) << 2);
    const f0 = v128.load(pf);
    const f1 = v128.load(pf, 16);
    for (let k = 0; k < nk; k++) {
      const pc = c + (<usize>(k * rp + r0) << 2);
      v128.store(dst, f32x4.mul(f0, v128.load(pc)));
      v128.store(dst, f32x4.mul(f1, v128.load(pc, 16)), 16);
      dst += 32;
    }
  }
}

/** Mode 0 (f = B, jp rows) or mode 1 (f = A, ni rows) of mttkrp3; out is rows x rp. */
export function mttkrpGemm(
  x: usize, ni: i32, jp: i32, nk: i32, f: usize, c: usize, rp: i32, mode: i32, out: usize,
  work: usize,
): void {
  const rows = mode == 0 ? ni : jp;
  const nOuter = mode == 0 ? jp : ni;
  const len = nOuter * nk;
  const tile = (work + 15) & ~(<usize>15);
  const panel = tile + MR * 32;
  const packed = panel + (<usize>(len * 8) << 2);
  for (let row = 0; row < rows; row += MR) {
    packPanel(x, ni, jp, nk, mode, row, rows, packed + (<usize>((row / MR) * PA * len) << 2));
  }
  for (let r0 = 0; r0 < rp; r0 += 8) {
    buildPanel(f, nOuter, c, nk, rp, r0, panel);
    for (let row = 0; row < rows; row += MR) {
      microKernel(len, packed + (<usize>((row / MR) * PA * len) << 2), panel, tile);
      const mr = min(MR, rows - row);
      for (let u = 0; u < mr; u++) {
        const po = out + (<usize>((row + u) * rp + r0) << 2);
        v128.store(po, v128.load(tile + (<usize>u << 5)));
        v128.store(po, v128.load(tile + (<usize>u << 5), 16), 16);
      }
    }
  }
}
