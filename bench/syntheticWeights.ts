// Seeded synthetic weights with a realistic, slowly decaying spectrum for the benchmarks: a
// Tucker-shaped 3x3 conv (a Gaussian core shaped by power-law decays along every mode, times
// random near-orthogonal bases) and a 2-way weight U diag(s) V^T. Trained convs have neither
// an exact low rank nor a flat (white-noise) spectrum; this sits in between, so CP at rate 2
// (plus a white-noise floor) leaves a relative error near the 0.35 of real ResNet layers.
import type { Kernels } from '../src/core/kernels/types.ts';
import { normalSampler } from '../src/core/util/prng.ts';

const WEIGHT_STD = 0.05;
// White noise at 0.6 of the structured part's std: QAF at rate 2, 4 bits then ends near 0.35
// relative error at every width, like the layers measured in issue #14 (0.348-0.366).
const NOISE = 0.6;

/** s_r = (1 + r / knee)^-power: flat for the first `knee` directions, then a power-law tail. */
function decay(n: number, knee: number, power: number): Float64Array {
  const s = new Float64Array(n);
  for (let r = 0; r < n; r++) s[r] = (1 + r / knee) ** -power;
  return s;
}

function gaussian(rows: number, cols: number, seed: number, sigma: number): Float32Array {
  const next = normalSampler(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = sigma * next();
  return out;
}

/** A cOut x cIn x k x k conv weight (row-major), deterministic for a seed. */
export function syntheticConv(
  kernels: Kernels,
  cOut: number,
  cIn: number,
  k: number,
  seed: number,
): Float32Array {
  const kk = k * k;
  const ra = Math.min(cOut, cIn * kk);
  const rb = Math.min(cIn, cOut * kk);
  const sa = decay(ra, ra / 8, 1);
  const sb = decay(rb, rb / 8, 1);
  const sc = decay(kk, 2, 1);
  // core[b, a, c] (b-major, so the mode-2 product is one sgemm)
  const core = gaussian(rb, ra * kk, seed, 1);
  for (let b = 0; b < rb; b++) {
    for (let a = 0; a < ra; a++) {
      const o = (b * ra + a) * kk;
      for (let c = 0; c < kk; c++) core[o + c] *= sa[a] * sb[b] * sc[c];
    }
  }
  const u1 = gaussian(cOut, ra, seed + 1, 1 / Math.sqrt(ra));
  const u2 = gaussian(cIn, rb, seed + 2, 1 / Math.sqrt(rb));
  const u3 = gaussian(kk, kk, seed + 3, 1 / Math.sqrt(kk));
  // t1[j, a, c] = sum_b U2[j, b] core[b, a, c]
  const t1 = new Float32Array(cIn * ra * kk);
  kernels.sgemm(false, false, cIn, ra * kk, rb, 1, u2, rb, core, ra * kk, 0, t1, ra * kk);
  // t2[j, a, k] = sum_c t1[j, a, c] U3[k, c]
  const t2 = new Float32Array(cIn * ra * kk);
  kernels.sgemm(false, true, cIn * ra, kk, kk, 1, t1, kk, u3, kk, 0, t2, kk);
  // a-major copy, then W[i, j, k] = sum_a U1[i, a] t2[a, j, k]
  const t3 = new Float32Array(ra * cIn * kk);
  for (let j = 0; j < cIn; j++) {
    for (let a = 0; a < ra; a++) {
      const src = (j * ra + a) * kk;
      t3.set(t2.subarray(src, src + kk), (a * cIn + j) * kk);
    }
  }
  const w = new Float32Array(cOut * cIn * kk);
  kernels.sgemm(false, false, cOut, cIn * kk, ra, 1, u1, ra, t3, cIn * kk, 0, w, cIn * kk);
  normalise(w);
  const noise = gaussian(cOut, cIn * kk, seed + 4, NOISE * WEIGHT_STD);
  for (let i = 0; i < w.length; i++) w[i] += noise[i];
  return normalise(w);
}

/** A rows x cols weight U diag(s) V^T with the same power-law spectrum. */
export function syntheticMatrix(
  kernels: Kernels,
  rows: number,
  cols: number,
  seed: number,
): Float32Array {
  const n = Math.min(rows, cols);
  const s = decay(n, n / 8, 1);
  const u = gaussian(rows, n, seed, 1 / Math.sqrt(n));
  for (let i = 0; i < rows; i++) for (let r = 0; r < n; r++) u[i * n + r] *= s[r];
  const v = gaussian(cols, n, seed + 1, 1 / Math.sqrt(n));
  const w = new Float32Array(rows * cols);
  kernels.sgemm(false, true, rows, cols, n, 1, u, n, v, n, 0, w, cols);
  normalise(w);
  const noise = gaussian(rows, cols, seed + 2, NOISE * WEIGHT_STD);
  for (let i = 0; i < w.length; i++) w[i] += noise[i];
  return normalise(w);
}

// The relative error is scale-free; a fixed entry std only keeps the numbers familiar.
function normalise(w: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * w[i];
  const g = Math.sqrt(w.length / s) * WEIGHT_STD;
  for (let i = 0; i < w.length; i++) w[i] *= g;
  return w;
}
