// Known-rank, on-grid recovery by QAF (ADMM), checked independently of the engine: the true
// factors are integer codes on the symmetric b-bit grid times one scale per factor, the tensor
// and every error below are computed here in float64 by plain loops (not cpReconstruct, not the
// result's `error`).
//
// Exact recovery (error ~0) is not what ADMM reaches at 4 bits, and the test does not ask for
// it: the float CP start fixes an arbitrary split of each rank-1 term's scale among the
// factors (and, 2-way, an arbitrary rotation A M, B M^-T), while one scale per factor needs
// one particular split; ADMM only moves locally from there. The bounds are therefore the errors
// measured today (2026-12, default preset, seeds 1-3: 13x7x9 rank 5 0.060-0.080, 11x19 rank 4
// 0.095-0.105) with about 1.5x room, far below FTQ on the 3-way tensor (0.27-0.50), and the
// real guard is (d): ADMM below FTQ on every seed.
import { describe, expect, it } from 'vitest';
import { type CompressJob, compressLayer, type LayerResult } from '../../src/core/factor/index.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { mulberry32 } from '../../src/core/util/prng.ts';

const kernels = await loadKernels();

const BITS = 4;
const SEEDS = [1, 2, 3];

interface TrueFactor {
  codes: Int8Array;
  scale: number;
  /** scale * code as float32 (what a DequantizeLinear computes), held in float64. */
  values: Float64Array;
}

/** dims[n] x rank factors, codes uniform in [-(2^(b-1) - 1), 2^(b-1) - 1], one scale each. */
function gridFactors(dims: readonly number[], rank: number, bits: number, seed: number) {
  const next = mulberry32(seed);
  const qMax = 2 ** (bits - 1) - 1;
  return dims.map((d): TrueFactor => {
    const scale = Math.fround(0.05 + 0.2 * next());
    const codes = Int8Array.from(
      { length: d * rank },
      () => Math.floor(next() * (2 * qMax + 1)) - qMax,
    );
    return { codes, scale, values: Float64Array.from(codes, (q) => Math.fround(scale * q)) };
  });
}

/** W[i,j,k] = sum_r A[i,r] B[j,r] C[k,r] (K = 1 and no C for 2-way), row-major, float64. */
function cpTensor64(dims: readonly number[], rank: number, f: readonly ArrayLike<number>[]) {
  const [I, J] = dims;
  const K = dims.length === 3 ? dims[2] : 1;
  const w = new Float64Array(I * J * K);
  for (let i = 0; i < I; i++) {
    for (let j = 0; j < J; j++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let r = 0; r < rank; r++) {
          const c = dims.length === 3 ? f[2][k * rank + r] : 1;
          s += f[0][i * rank + r] * f[1][j * rank + r] * c;
        }
        w[(i * J + j) * K + k] = s;
      }
    }
  }
  return w;
}

/** ||W - W_hat||_F / ||W||_F in float64. */
function relativeError(w: ArrayLike<number>, approx: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < w.length; i++) {
    num += (w[i] - approx[i]) ** 2;
    den += w[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** (a): every code an integer of the b-bit grid, every value exactly float32(scale * code). */
function expectOnGrid(result: LayerResult, dims: readonly number[]) {
  const lo = -(2 ** (result.bits - 1));
  const hi = 2 ** (result.bits - 1) - 1;
  expect(result.factors).toHaveLength(dims.length);
  result.factors.forEach((f, n) => {
    expect(f).toMatchObject({ rows: dims[n], cols: result.rank });
    expect(f.codes).toBeInstanceOf(Int8Array);
    expect(f.codes).toHaveLength(dims[n] * result.rank);
    expect(f.values).toHaveLength(dims[n] * result.rank);
    const scale = f.scale!;
    expect(Number.isFinite(scale) && scale > 0).toBe(true);
    let off = 0;
    for (let i = 0; i < f.codes!.length; i++) {
      const q = f.codes![i];
      if (!Number.isInteger(q) || q < lo || q > hi || f.values[i] !== Math.fround(scale * q)) off++;
    }
    expect(off, `factor ${n}: values off the grid`).toBe(0);
  });
}

describe.each([
  // A 3x3 conv viewed as 13x7x9, and a Gemm weight (2-way).
  { label: '3-way 13x7x9', shape: [13, 7, 3, 3], dims: [13, 7, 9], rank: 5, bound: 0.12 },
  { label: '2-way 11x19', shape: [11, 19], dims: [11, 19], rank: 4, bound: 0.15 },
])(
  'ADMM on a rank-$rank tensor with 4-bit grid factors, $label',
  ({ shape, dims, rank, bound }) => {
    it.each(SEEDS)('seed %i: on the grid, small error, error field exact, below FTQ', (seed) => {
      const truth = gridFactors(dims, rank, BITS, seed);
      const w64 = cpTensor64(
        dims,
        rank,
        truth.map((f) => f.values),
      );
      const weight = Float32Array.from(w64);
      const job = (method: CompressJob['method']): CompressJob => ({
        name: `grid${dims.join('x')}`,
        weight,
        shape,
        method,
        rank,
        bits: BITS,
        seed: 1,
        // The truth has one scale per factor; per-component recovery: componentScales.test.
        scales: 'factor',
      });
      const admm = compressLayer(kernels, job('admm'));
      expect(admm.rank).toBe(rank);
      expectOnGrid(admm, dims);

      // (b) the error of what the layer computes, reconstructed here from the returned values
      // (== scale * code by (a)), against the float32 weight the engine was given.
      const approx = cpTensor64(
        dims,
        rank,
        admm.factors.map((f) => f.values),
      );
      const error = relativeError(weight, approx);
      expect(error).toBeLessThan(bound);
      // The float32 weight is the float64 tensor to float32 precision.
      expect(relativeError(w64, weight)).toBeLessThan(1e-6);

      // (c) the reported error is the true one (it is computed in float32 kernels).
      expect(Math.abs(admm.error - error)).toBeLessThan(1e-5);

      // (d) FTQ: the same float CP start, rounded once.
      const ftq = compressLayer(kernels, job('ftq'));
      expectOnGrid(ftq, dims);
      const ftqError = relativeError(
        weight,
        cpTensor64(
          dims,
          rank,
          ftq.factors.map((f) => f.values),
        ),
      );
      expect(Math.abs(ftq.error - ftqError)).toBeLessThan(1e-5);
      expect(error).toBeLessThan(ftqError);
    });
  },
);
