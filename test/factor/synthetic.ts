// Synthetic CP tensors of known rank for the factor tests, from a seeded PRNG.
import { cpReconstruct } from '../../src/core/factor/index.ts';
import type { Kernels } from '../../src/core/kernels/index.ts';
import { mulberry32 } from '../../src/core/util/prng.ts';

/** Random factors with entries uniform in [-1, 1), or on a b-bit grid of scale 1 when `bits`. */
export function randomFactors(dims: readonly number[], rank: number, seed: number, bits?: number) {
  const next = mulberry32(seed);
  const half = bits ? 2 ** (bits - 1) : 0;
  return dims.map((d) => {
    const f = new Float32Array(d * rank);
    for (let i = 0; i < f.length; i++) {
      f[i] = bits ? Math.floor(next() * 2 * half) - half : 2 * next() - 1;
    }
    return f;
  });
}

/** The tensor [[factors]] of exact rank `rank`. */
export function cpTensor(
  kernels: Kernels,
  dims: readonly number[],
  rank: number,
  seed: number,
  bits?: number,
) {
  const factors = randomFactors(dims, rank, seed, bits);
  return { x: cpReconstruct(kernels, dims, factors, rank), factors };
}

/** Every code an integer in the b-bit range and every value exactly scale * code. */
export function onGrid(codes: Int8Array, scale: number, values: Float32Array, bits: number) {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  for (let i = 0; i < codes.length; i++) {
    if (!Number.isInteger(codes[i]) || codes[i] < lo || codes[i] > hi) return false;
    if (values[i] !== Math.fround(scale * codes[i])) return false;
  }
  return codes.length === values.length;
}
