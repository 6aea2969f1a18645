import { describe, expect, it } from 'vitest';
import { bothKernels, randomF32, refMttkrp3, relError, rng } from './reference.ts';

const kernels = await bothKernels();
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 7, 1],
  [7, 3, 9],
  [16, 16, 9],
  [33, 5, 4],
  [5, 33, 7],
  [64, 64, 9],
];

describe.each(kernels)('mttkrp3 ($name)', (k) => {
  for (const mode of [0, 1, 2] as const) {
    it(`mode ${mode} matches the float64 reference on awkward shapes and ranks`, () => {
      const next = rng(100 + mode);
      for (const dims of shapes) {
        for (const rank of [1, 3, 8, 13, 134]) {
          const x = randomF32(dims[0] * dims[1] * dims[2], next);
          const f = [0, 1, 2].map((d) => randomF32(dims[d] * rank, next)) as [
            Float32Array,
            Float32Array,
            Float32Array,
          ];
          const want = refMttkrp3(x, dims, f, rank, mode);
          const got = k.mttkrp3(x, dims, f, rank, mode);
          expect(got.length).toBe(dims[mode] * rank);
          expect(relError(got, want)).toBeLessThan(1e-5);
        }
      }
    });
  }

  // Mode 2 holds K in row blocks of at most 5 (relaxed build) or 4 (plain build) rows, split
  // into near-equal sizes: these K reach every block size and split.
  it('matches the reference for every K block split (K = 1, 2, 3, 4, 5, 6, 7, 9, 25)', () => {
    const next = rng(300);
    for (const nk of [1, 2, 3, 4, 5, 6, 7, 9, 25]) {
      const dims: [number, number, number] = [6, 11, nk];
      for (const rank of [3, 16]) {
        const x = randomF32(dims[0] * dims[1] * dims[2], next);
        const f = [0, 1, 2].map((d) => randomF32(dims[d] * rank, next)) as [
          Float32Array,
          Float32Array,
          Float32Array,
        ];
        for (const mode of [0, 1, 2] as const) {
          const got = k.mttkrp3(x, dims, f, rank, mode);
          expect(relError(got, refMttkrp3(x, dims, f, rank, mode))).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('ignores the factor of its own mode and writes into out', () => {
    const next = rng(7);
    const dims: [number, number, number] = [5, 6, 7];
    const f = [randomF32(20, next), randomF32(24, next), randomF32(28, next)] as const;
    const x = randomF32(210, next);
    const out = new Float32Array(20);
    const res = k.mttkrp3(x, dims, [new Float32Array(0), f[1], f[2]], 4, 0, out);
    expect(res).toBe(out);
    expect(relError(out, refMttkrp3(x, dims, f, 4, 0))).toBeLessThan(1e-5);
  });
});
