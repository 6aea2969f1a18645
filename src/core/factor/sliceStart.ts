// The CP-ALS start for 3-way weights: rotate the smallest mode (a conv's kh*kw) to its principal
// axes, take a truncated SVD of every rotated slice, and keep the `rank` largest singular
// triplets over all slices. Each kept triplet (s, u, v) of slice t is one rank-one term
// s u (x) v (x) w_t, so the start is itself a rank-R CP whose error is exactly that of the
// discarded singular values.
//
// Measured against the old HOSVD start (leading eigenvectors of each unfolding by Jacobi, then
// random columns, since R exceeds every mode size at rate 2): the same final QAF error after
// about 5 fewer ALS sweeps, and ~0.006 lower after the same number, on synthetic 3x3 convs
// with C = 64..256 (bench/wideLayers.ts). All of it runs on sgemm except one eigensolver call
// on each k x k projected matrix (rangeFinder.ts).

import type { Kernels } from '../kernels/types.ts';
import { mulberry32 } from '../util/prng.ts';
import type { CpTarget } from './cpTensor.ts';
import { dsyevQl } from './linalg.ts';
import { randomizedSvd, type Svd } from './rangeFinder.ts';

interface SliceSvd {
  svd: Svd;
  /** Triplets computed (the width asked of the range finder). */
  width: number;
}

/** Start factors (one dims[n] x rank matrix per mode) for a 3-way target. */
export function sliceSvdStart(
  kernels: Kernels,
  target: CpTarget,
  rank: number,
  seed: number,
): Float32Array[] {
  const { dims } = target;
  // The slice mode: the smallest (the last of equals, so a 3x3 conv slices over kh*kw).
  let s = 2;
  for (let n = 1; n >= 0; n--) if (dims[n] < dims[s]) s = n;
  const [p, q] = [0, 1, 2].filter((n) => n !== s);
  const [pDim, qDim, sDim] = [dims[p], dims[q], dims[s]];
  const xp = s === 2 ? target.x : permuteToLast(target.x, dims, s);
  const { values, rows: axes } = dsyevQl(
    Float64Array.from(kernels.gram(xp, pDim * qDim, sDim)),
    sDim,
  );
  const slices = rotatedSlices(kernels, xp, pDim * qDim, sDim, axes);
  const live = Array.from(values, (v) => v > 1e-12 * values[0] && Number.isFinite(v));
  const count = live.filter(Boolean).length;
  const maxWidth = Math.min(pDim, qDim);
  // A little above an even share: the triplets kept per slice vary (at C = 512: 75 to 209 of
  // 1,141 over 9 slices), and a slice that runs out is grown below.
  const width = Math.min(maxWidth, Math.ceil((1.25 * rank) / Math.max(count, 1)));
  const svds: (SliceSvd | null)[] = slices.map((y, t) =>
    live[t] ? sliceSvd(kernels, y, pDim, qDim, width, seed + t) : null,
  );
  // Grow any slice whose every computed triplet made the cut: it may have more that would.
  for (;;) {
    const chosen = largestTriplets(svds, rank);
    const exhausted = svds
      .map((sv, t) => (sv && sv.width < maxWidth && chosen.perSlice[t] >= sv.width ? t : -1))
      .filter((t) => t >= 0);
    if (exhausted.length === 0)
      return assemble(chosen.picks, svds, axes, dims, [p, q, s], rank, seed);
    for (const t of exhausted) {
      const grown = Math.min(maxWidth, Math.ceil(1.5 * svds[t]!.width));
      svds[t] = sliceSvd(kernels, slices[t], pDim, qDim, grown, seed + t);
    }
  }
}

function sliceSvd(
  kernels: Kernels,
  y: Float32Array,
  rows: number,
  cols: number,
  width: number,
  seed: number,
): SliceSvd {
  // Two power iterations: the start only needs the slices' leading subspaces roughly (the
  // ALS sweeps that follow refine them); six, as for a 2-way weight, changed nothing measurable.
  return {
    svd: randomizedSvd(kernels, y, rows, cols, width, { seed, powerIterations: 2, oversample: 20 }),
    width,
  };
}

/** The `rank` largest singular values over all slices, as (slice, index) picks, descending. */
function largestTriplets(svds: (SliceSvd | null)[], rank: number) {
  const all: { sigma: number; t: number; r: number }[] = [];
  svds.forEach((sv, t) => {
    if (!sv) return;
    for (let r = 0; r < sv.width; r++) if (sv.svd.s[r] > 0) all.push({ sigma: sv.svd.s[r], t, r });
  });
  // Ties broken by slice and index, so the order never depends on the sort implementation.
  all.sort((a, b) => b.sigma - a.sigma || a.t - b.t || a.r - b.r);
  const picks = all.slice(0, rank);
  const perSlice = svds.map(() => 0);
  for (const pick of picks) perSlice[pick.t]++;
  return { picks, perSlice };
}

function assemble(
  picks: { sigma: number; t: number; r: number }[],
  svds: (SliceSvd | null)[],
  axes: Float64Array,
  dims: readonly number[],
  order: number[],
  rank: number,
  seed: number,
): Float32Array[] {
  const [p, q, s] = order;
  const factors = dims.map((d) => new Float32Array(d * rank));
  const [fp, fq, fs] = [factors[p], factors[q], factors[s]];
  const sDim = dims[s];
  picks.forEach(({ sigma, t, r }, col) => {
    const { u, v } = svds[t]!.svd;
    const width = svds[t]!.width;
    for (let i = 0; i < dims[p]; i++) fp[i * rank + col] = sigma * u[i * width + r];
    for (let j = 0; j < dims[q]; j++) fq[j * rank + col] = v[j * width + r];
    for (let k = 0; k < sDim; k++) fs[k * rank + col] = axes[t * sDim + k];
  });
  // Columns past the available triplets: seeded random, as the HOSVD start did (uniform, of
  // variance 1/d, from the integer PRNG: no transcendental functions, same bits everywhere).
  dims.forEach((d, n) => {
    const next = mulberry32(seed + 104729 * (n + 1));
    const half = Math.sqrt(3 / d);
    for (let i = 0; i < d; i++) {
      for (let col = picks.length; col < rank; col++) {
        factors[n][i * rank + col] = half * (2 * next() - 1);
      }
    }
  });
  return factors;
}

// Slice t = sum_k X[:, :, k] axes[t][k]: one sgemm of X as (P*Q) x S with the axes, then each
// column gathered into a contiguous P x Q matrix.
function rotatedSlices(
  kernels: Kernels,
  xp: Float32Array,
  pq: number,
  sDim: number,
  axes: Float64Array,
): Float32Array[] {
  const rot = new Float32Array(sDim * sDim); // rot[k, t] = axes[t][k]
  for (let t = 0; t < sDim; t++)
    for (let k = 0; k < sDim; k++) rot[k * sDim + t] = axes[t * sDim + k];
  const y = new Float32Array(pq * sDim);
  kernels.sgemm(false, false, pq, sDim, sDim, 1, xp, sDim, rot, sDim, 0, y, sDim);
  return Array.from({ length: sDim }, (_, t) => {
    const slice = new Float32Array(pq);
    for (let i = 0; i < pq; i++) slice[i] = y[i * sDim + t];
    return slice;
  });
}

/** The tensor with mode `s` moved last (the other two keep their order), row-major. */
function permuteToLast(x: Float32Array, dims: readonly number[], s: number): Float32Array {
  const [d0, d1, d2] = dims;
  const out = new Float32Array(x.length);
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) {
      for (let k = 0; k < d2; k++) {
        const src = (i * d1 + j) * d2 + k;
        out[s === 0 ? (j * d2 + k) * d0 + i : (i * d2 + k) * d1 + j] = x[src];
      }
    }
  }
  return out;
}
