// A final polish of grid factors: exact coordinate descent on the integer codes, one factor at
// a time, alternating with the closed-form best scale. Each move minimises the CP objective
// along one code exactly, so the error never rises and every value stays scale * code on a
// per-factor grid.

import { codeSweep } from '../kernels/codeSweep.ts';
import type { CodeSweepArgs, Kernels } from '../kernels/types.ts';
import {
  type CpTarget,
  forgetGram,
  gramExcept,
  mttkrp,
  newGramCache,
  newMttkrpCache,
} from './cpTensor.ts';
import type { GridFactor } from './types.ts';

function cloneGrid(f: GridFactor): GridFactor {
  const out = {
    codes: Int8Array.from(f.codes),
    scale: f.scale,
    values: Float32Array.from(f.values),
  };
  return f.columnScales ? { ...out, columnScales: Float32Array.from(f.columnScales) } : out;
}

/** `rounds` sweeps over all factors; returns new grid factors (inputs untouched). */
export function polishGridFactors(
  kernels: Kernels,
  target: CpTarget,
  factors: readonly GridFactor[],
  rank: number,
  bits: number,
  rounds: number,
): GridFactor[] {
  const out = factors.map(cloneGrid);
  const values = out.map((f) => f.values);
  const grams = newGramCache();
  // Each factor's code Gram Q^T Q, carried from one round to the next: only that factor's own
  // polish moves its codes, and it leaves the Gram of the codes it ends with.
  const codeGrams: CodeGramMemo[] = out.map(() => ({ qtq: null }));
  for (let round = 0; round < rounds; round++) {
    let moved = 0;
    const cache = newMttkrpCache();
    for (let n = 0; n < out.length; n++) {
      const g = gramExcept(kernels, target.dims, values, rank, n, grams);
      const f = mttkrp(kernels, target, values, rank, n, cache);
      moved += out[n].columnScales
        ? polishFactorColumns(kernels, out[n], g, f, target.dims[n], rank, bits, codeGrams[n])
        : polishFactor(kernels, out[n], g, f, target.dims[n], rank, bits);
      forgetGram(grams, n); // polished in place
    }
    if (moved === 0) break;
  }
  return out;
}

/**
 * Minimises tr(H G H^T) - 2 tr(H^T F) over H = s Q (the CP objective in one factor, up to a
 * constant): best s for Q, then a coordinate sweep over Q, then best s again. Returns the
 * number of codes moved.
 */
export function polishFactor(
  kernels: Kernels,
  factor: GridFactor,
  g: Float64Array,
  f: Float32Array,
  rows: number,
  rank: number,
  bits: number,
): number {
  const { codes } = factor;
  const qg = codesTimesG(kernels, codes, Float32Array.from(g), rows, rank);
  const s = bestScale(codes, qg, f) || factor.scale;
  // Row i of half the gradient, H G - F, is s QG - F. The sweep writes row i of Q G for the new
  // codes back into qg ((gradient + F) / s), so the closing scale needs no second product.
  const moved = sweepCodes(kernels, {
    codes,
    base: qg,
    mult: s,
    f,
    g,
    scales: new Float64Array(rank).fill(s),
    rows,
    rank,
    bits,
    skipNonPositiveScales: false,
    writeBack: true,
  });
  factor.scale = bestScale(codes, qg, f) || s;
  for (let i = 0; i < codes.length; i++) factor.values[i] = factor.scale * codes[i];
  return moved;
}

function codesTimesG(
  kernels: Kernels,
  codes: Int8Array,
  g32: Float32Array,
  rows: number,
  rank: number,
): Float32Array {
  const q = Float32Array.from(codes);
  const out = new Float32Array(rows * rank);
  kernels.sgemm(false, false, rows, rank, rank, 1, q, rank, g32, rank, 0, out, rank);
  return out;
}

/** argmin over s of s^2 tr(Q G Q^T) - 2 s tr(Q^T F), given QG; 0 when there is none. */
function bestScale(codes: Int8Array, qg: Float32Array, f: Float32Array): number {
  let quad = 0;
  let lin = 0;
  for (let i = 0; i < codes.length; i++) {
    lin += codes[i] * f[i];
    quad += codes[i] * qg[i];
  }
  return quad > 0 && lin > 0 ? lin / quad : 0;
}

/**
 * polishFactor for per-component scales, H = Q diag(s): the best scales for Q (exact coordinate
 * descent on s, see columnScalesFor), a coordinate sweep over Q, the best scales again. Every
 * move minimises the objective exactly along one coordinate, so it never rises.
 */
export function polishFactorColumns(
  kernels: Kernels,
  factor: GridFactor,
  g: Float64Array,
  f: Float32Array,
  rows: number,
  rank: number,
  bits: number,
  memo: CodeGramMemo = { qtq: null },
): number {
  const { codes } = factor;
  const s = Float64Array.from(factor.columnScales!);
  const g32 = Float32Array.from(g);
  const qtq = memo.qtq ?? codesGram(kernels, codes, rows, rank);
  columnScalesFor(qtq, codes, g, f, rank, s);
  const hs = new Float32Array(rows * rank);
  for (let i = 0; i < rows; i++)
    for (let r = 0; r < rank; r++) hs[i * rank + r] = s[r] * codes[i * rank + r];
  const hg = new Float32Array(rows * rank);
  kernels.sgemm(false, false, rows, rank, rank, 1, hs, rank, g32, rank, 0, hg, rank);
  const moved = sweepCodes(kernels, {
    codes,
    base: hg,
    mult: 1,
    f,
    g,
    scales: s,
    rows,
    rank,
    bits,
    skipNonPositiveScales: true,
    writeBack: false,
  });
  // Unmoved codes have the Gram they came with: the same bits, without the product.
  memo.qtq = moved > 0 ? codesGram(kernels, codes, rows, rank) : qtq;
  columnScalesFor(memo.qtq, codes, g, f, rank, s);
  const cs = Float32Array.from(s);
  factor.columnScales = cs;
  for (let i = 0; i < rows; i++) {
    for (let r = 0; r < rank; r++) factor.values[i * rank + r] = cs[r] * codes[i * rank + r];
  }
  return moved;
}

/**
 * The Gram Q^T Q of a factor's codes as they are now (null: not known), for the next polish of
 * the same factor. Whoever changes the codes otherwise must reset it.
 */
export interface CodeGramMemo {
  qtq: Float32Array | null;
}

/** The kernels' code sweep, or the reference where they have none. */
function sweepCodes(kernels: Kernels, args: CodeSweepArgs): number {
  return kernels.codeSweep ? kernels.codeSweep(args) : codeSweep(args);
}

/** Q^T Q of codes Q (rows x rank). */
function codesGram(kernels: Kernels, codes: Int8Array, rows: number, rank: number): Float32Array {
  return kernels.gram(Float32Array.from(codes), rows, rank);
}

/**
 * The column scales minimising s^T M s - 2 b^T s with M = qtq .* G and b_r = (Q^T F)_rr: the
 * objective in one factor H = Q diag(s), with qtq = Q^T Q (or Q^T W Q for a weighted mode).
 * Exact coordinate descent from `s` (updated in place): a coordinate moves only to a positive
 * minimiser, so no scale turns negative or zero and the objective never rises.
 */
export function columnScalesFor(
  qtq: ArrayLike<number>,
  codes: Int8Array,
  g: Float64Array,
  f: Float32Array,
  rank: number,
  s: Float64Array,
): void {
  const b = new Float64Array(rank);
  const rows = codes.length / rank;
  for (let i = 0; i < rows; i++) {
    const o = i * rank;
    for (let r = 0; r < rank; r++) b[r] += codes[o + r] * f[o + r];
  }
  // M = qtq .* G once (the same float64 products the sweeps used to form on the fly).
  const m = new Float64Array(rank * rank);
  for (let i = 0; i < m.length; i++) m[i] = qtq[i] * g[i];
  const interleaved = rank >= INTERLEAVED_SUMS_FROM_RANK;
  for (let sweep = 0; sweep < 8; sweep++) {
    for (let r = 0; r < rank; r++) {
      const o = r * rank;
      const diag = m[o + r];
      if (!(diag > 0)) continue;
      let rest: number;
      if (interleaved) rest = b[r] - rowDot(m, o, s, 0, r) - rowDot(m, o, s, r + 1, rank);
      else {
        rest = b[r];
        for (let c = 0; c < r; c++) rest -= m[o + c] * s[c];
        for (let c = r + 1; c < rank; c++) rest -= m[o + c] * s[c];
      }
      const next = rest / diag;
      if (next > 0) s[r] = next;
    }
  }
}

// From this rank on (the wide layers of issue #14, ADMM_PRESETS' wideFromRank) the scale sweeps
// sum each row in four interleaved partial sums: a sequential float64 sum waits on the adder's
// latency at every term, and at rank ~1,100 the 8 sweeps took ~1 s of a layer's polish. The
// sums differ in the last bits, so narrower layers (ResNet-20/56, rank <= 134) keep the
// sequential order and their factors bit for bit.
const INTERLEAVED_SUMS_FROM_RANK = 512;

/** sum over c in [from, to) of m[o + c] * s[c], in four interleaved partial sums. */
function rowDot(m: Float64Array, o: number, s: Float64Array, from: number, to: number): number {
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  const end4 = to - ((to - from) % 4);
  let c = from;
  for (; c < end4; c += 4) {
    t0 += m[o + c] * s[c];
    t1 += m[o + c + 1] * s[c + 1];
    t2 += m[o + c + 2] * s[c + 2];
    t3 += m[o + c + 3] * s[c + 3];
  }
  for (; c < to; c++) t0 += m[o + c] * s[c];
  return t0 + t1 + (t2 + t3);
}
