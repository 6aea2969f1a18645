// compressLayer's QAF, which now starts from the randomized slice/matrix SVDs with blocked
// float32 solves (issue #14), against the old path (HOSVD start by Jacobi, float64 solves) on
// odd-size layers whose weights have a decaying spectrum plus a noise floor, like trained ones.
import { describe, expect, it } from 'vitest';
import { admmQuantizedCp } from '../../src/core/factor/admm.ts';
import { cpAls } from '../../src/core/factor/cpAls.ts';
import { cpReconstruct } from '../../src/core/factor/cpTensor.ts';
import { compressLayer } from '../../src/core/factor/index.ts';
import { truncatedSvd } from '../../src/core/factor/svd.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { normalSampler } from '../../src/core/util/prng.ts';
import { cpDims, resolveRank } from '../../src/core/util/rank.ts';

const kernels = await loadKernels();

// A sum of rank-one terms with power-law weights (1 + r/4)^-1 and white noise at 0.6 of their
// std: CP at rate 2 then leaves 0.3-0.45 relative error, as on real convs.
function weight(shape: number[], seed: number): Float32Array {
  const dims = cpDims(shape);
  const terms = 3 * Math.max(...dims);
  const next = normalSampler(seed);
  const factors = dims.map((d) => Float32Array.from({ length: d * terms }, () => next()));
  for (let i = 0; i < dims[0]; i++)
    for (let r = 0; r < terms; r++) factors[0][i * terms + r] /= 1 + r / 4;
  const x = cpReconstruct(kernels, dims, factors, terms);
  let s = 0;
  for (const v of x) s += v * v;
  const std = Math.sqrt(s / x.length);
  return Float32Array.from(x, (v) => v + 0.6 * std * next());
}

function oldPath(w: Float32Array, shape: number[]): number {
  const dims = cpDims(shape);
  const rank = resolveRank(dims, undefined, 2);
  const start =
    dims.length === 2
      ? (() => {
          const { a, b } = truncatedSvd(w, dims[0], dims[1], rank, { init: 'hosvd-jacobi' });
          return [a, b];
        })()
      : cpAls(kernels, w, dims, rank, {
          init: 'hosvd-jacobi',
          maxIterations: 25, // the default preset's sweeps before issue #14
          solves: 'float64',
        }).factors;
  // the default preset's settings before issue #14
  const params = { solves: 'float64' as const, maxInner: 5, tol: 1e-3, polishRounds: 4 };
  return admmQuantizedCp(kernels, w, dims, start, rank, 4, { params }).error;
}

describe('QAF from the randomized start vs the old HOSVD/Jacobi start', () => {
  it.each([
    [[33, 17, 3, 3], 1],
    [[40, 24, 3, 3], 2],
    [[21, 7, 5, 5], 3],
    [[64, 3, 7, 7], 4],
    [[48, 29], 5],
    [[70, 33, 1, 1], 6],
  ])('%j: final error within 0.005 of the old start (or lower)', (shape, seed) => {
    const w = weight(shape, seed);
    const fresh = compressLayer(kernels, {
      name: 'l',
      weight: w,
      shape,
      method: 'admm',
      rate: 2,
      bits: 4,
    });
    const old = oldPath(w, shape);
    console.log(`${shape.join('x')}: new ${fresh.error.toFixed(4)}, old ${old.toFixed(4)}`);
    expect(fresh.error).toBeLessThanOrEqual(old + 0.005);
  });
});
