// polish.ts for a weighted mode of data-aware QAF: exact coordinate descent on the codes of H
// for  tr(W H G H^T) - 2 tr(H^T F),  H = s Q,  W the mode's input weight (rows x rows). A move
// of code (i, r) changes row i of the gradient through W[i,i] G[r,:] and every other row i'
// through W[i',i] G[r,:]: the moves of a row are made with the first, and the other rows are
// brought up to date once per row (rows x rank work per moved row, not per move).

import type { Kernels } from '../kernels/types.ts';
import { columnScalesFor } from './polish.ts';
import type { GridFactor } from './types.ts';

/** One coordinate sweep over the codes of `factor` (in place); returns the codes moved. */
export function polishWeightedFactor(
  kernels: Kernels,
  factor: GridFactor,
  w: Float64Array,
  g: Float64Array,
  f: Float32Array,
  rows: number,
  rank: number,
  bits: number,
): number {
  const qMax = 2 ** (bits - 1) - 1;
  const qMin = -(2 ** (bits - 1));
  const { codes } = factor;
  const wqg = codesProduct(kernels, codes, w, g, rows, rank);
  const s = bestScale(codes, wqg, f) || factor.scale;
  // Half the gradient, s W Q G - F, kept exact through every move.
  const grad = new Float64Array(rows * rank);
  for (let i = 0; i < grad.length; i++) grad[i] = s * wqg[i] - f[i];
  const rowChange = new Float64Array(rank);
  let moved = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * rank;
    const wii = w[i * rows + i];
    rowChange.fill(0);
    let rowMoved = false;
    for (let r = 0; r < rank; r++) {
      const curvature = wii * g[r * rank + r];
      if (!(curvature > 0)) continue;
      const q = codes[o + r];
      const next = Math.min(qMax, Math.max(qMin, Math.round(q - grad[o + r] / (curvature * s))));
      if (next === q) continue;
      const delta = s * (next - q);
      for (let c = 0; c < rank; c++) {
        const d = delta * g[r * rank + c];
        rowChange[c] += d;
        grad[o + c] += wii * d;
      }
      codes[o + r] = next;
      moved++;
      rowMoved = true;
    }
    if (!rowMoved) continue;
    for (let k = 0; k < rows; k++) {
      const wki = w[k * rows + i];
      if (k === i || wki === 0) continue;
      const ok = k * rank;
      for (let c = 0; c < rank; c++) grad[ok + c] += wki * rowChange[c];
    }
  }
  // W Q G for the new codes is (grad + F) / s.
  const updated = new Float32Array(rows * rank);
  for (let i = 0; i < updated.length; i++) updated[i] = (grad[i] + f[i]) / s;
  factor.scale = bestScale(codes, updated, f) || s;
  for (let i = 0; i < codes.length; i++) factor.values[i] = factor.scale * codes[i];
  return moved;
}

/** W Q G for codes Q (rows x rank). */
function codesProduct(
  kernels: Kernels,
  codes: Int8Array,
  w: Float64Array,
  g: Float64Array,
  rows: number,
  rank: number,
): Float32Array {
  const qg = new Float32Array(rows * rank);
  const q = Float32Array.from(codes);
  kernels.sgemm(
    false,
    false,
    rows,
    rank,
    rank,
    1,
    q,
    rank,
    Float32Array.from(g),
    rank,
    0,
    qg,
    rank,
  );
  const out = new Float32Array(rows * rank);
  kernels.sgemm(
    false,
    false,
    rows,
    rank,
    rows,
    1,
    Float32Array.from(w),
    rows,
    qg,
    rank,
    0,
    out,
    rank,
  );
  return out;
}

/** argmin over s of s^2 tr(Q^T W Q G) - 2 s tr(Q^T F), given W Q G; 0 when there is none. */
function bestScale(codes: Int8Array, wqg: ArrayLike<number>, f: Float32Array): number {
  let quad = 0;
  let lin = 0;
  for (let i = 0; i < codes.length; i++) {
    lin += codes[i] * f[i];
    quad += codes[i] * wqg[i];
  }
  return quad > 0 && lin > 0 ? lin / quad : 0;
}

/**
 * polishWeightedFactor for per-component scales, H = Q diag(s): best scales for Q (M = (Q^T W
 * Q) .* G), a coordinate sweep over Q, best scales again; the objective never rises.
 */
export function polishWeightedFactorColumns(
  kernels: Kernels,
  factor: GridFactor,
  w: Float64Array,
  g: Float64Array,
  f: Float32Array,
  rows: number,
  rank: number,
  bits: number,
): number {
  const qMax = 2 ** (bits - 1) - 1;
  const qMin = -(2 ** (bits - 1));
  const { codes } = factor;
  const w32 = Float32Array.from(w);
  const s = Float64Array.from(factor.columnScales!);
  columnScalesFor(codesWeightedGram(kernels, codes, w32, rows, rank), codes, g, f, rank, s);
  // Half the gradient, W H G - F, kept exact through every move.
  const hs = new Float32Array(rows * rank);
  for (let i = 0; i < hs.length; i++) hs[i] = s[i % rank] * codes[i];
  const hg = new Float32Array(rows * rank);
  kernels.sgemm(
    false,
    false,
    rows,
    rank,
    rank,
    1,
    hs,
    rank,
    Float32Array.from(g),
    rank,
    0,
    hg,
    rank,
  );
  const whg = new Float32Array(rows * rank);
  kernels.sgemm(false, false, rows, rank, rows, 1, w32, rows, hg, rank, 0, whg, rank);
  const grad = new Float64Array(rows * rank);
  for (let i = 0; i < grad.length; i++) grad[i] = whg[i] - f[i];
  const rowChange = new Float64Array(rank);
  let moved = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * rank;
    const wii = w[i * rows + i];
    rowChange.fill(0);
    let rowMoved = false;
    for (let r = 0; r < rank; r++) {
      const curvature = wii * g[r * rank + r];
      if (!(curvature > 0) || !(s[r] > 0)) continue;
      const q = codes[o + r];
      const next = Math.min(qMax, Math.max(qMin, Math.round(q - grad[o + r] / (curvature * s[r]))));
      if (next === q) continue;
      const delta = s[r] * (next - q);
      for (let c = 0; c < rank; c++) {
        const d = delta * g[r * rank + c];
        rowChange[c] += d;
        grad[o + c] += wii * d;
      }
      codes[o + r] = next;
      moved++;
      rowMoved = true;
    }
    if (!rowMoved) continue;
    for (let k = 0; k < rows; k++) {
      const wki = w[k * rows + i];
      if (k === i || wki === 0) continue;
      const ok = k * rank;
      for (let c = 0; c < rank; c++) grad[ok + c] += wki * rowChange[c];
    }
  }
  columnScalesFor(codesWeightedGram(kernels, codes, w32, rows, rank), codes, g, f, rank, s);
  const cs = Float32Array.from(s);
  factor.columnScales = cs;
  for (let i = 0; i < codes.length; i++) factor.values[i] = cs[i % rank] * codes[i];
  return moved;
}

/** Q^T W Q for codes Q (rows x rank). */
function codesWeightedGram(
  kernels: Kernels,
  codes: Int8Array,
  w32: Float32Array,
  rows: number,
  rank: number,
): Float32Array {
  const q = Float32Array.from(codes);
  const wq = new Float32Array(rows * rank);
  kernels.sgemm(false, false, rows, rank, rows, 1, w32, rows, q, rank, 0, wq, rank);
  const out = new Float32Array(rank * rank);
  kernels.sgemm(true, false, rank, rank, rows, 1, q, rank, wq, rank, 0, out, rank);
  return out;
}
