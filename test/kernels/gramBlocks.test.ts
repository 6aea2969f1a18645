import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { randomF32, rng } from './reference.ts';

// The wasm Gram computes only the blocks on and above the diagonal (wasmBlas.ts wasmGram) and
// mirrors the rest: it must be bitwise the full product, so CP-ALS and ADMM results do not move.
describe.each([false, true])('wasm gram by upper blocks (relaxed SIMD %s)', (relaxedSimd) => {
  it.each([
    [9, 300],
    [40, 256],
    [33, 517],
    [300, 257],
  ])('A %i x %i: bitwise the full sgemm and exactly symmetric', async (rows, cols) => {
    const k = await loadKernels({ relaxedSimd });
    const a = randomF32(rows * cols, rng(rows + cols));
    const full = new Float32Array(cols * cols);
    k.sgemm(true, false, cols, cols, rows, 1, a, cols, a, cols, 0, full, cols);
    const got = k.gram(a, rows, cols);
    let differ = 0;
    let asymmetric = 0;
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < cols; j++) {
        if (!Object.is(got[i * cols + j], full[i * cols + j])) differ++;
        if (!Object.is(got[i * cols + j], got[j * cols + i])) asymmetric++;
      }
    }
    expect({ differ, asymmetric }).toEqual({ differ: 0, asymmetric: 0 });
  });
});

describe('wasm sgemm with B a leading part of A (one copy into wasm memory)', () => {
  it('gives the bits of separate operands', async () => {
    const k = await loadKernels();
    const [m, n, kk, ld] = [300, 128, 200, 260];
    const a = randomF32(m * ld, rng(3));
    const shared = new Float32Array(m * n);
    const separate = new Float32Array(m * n);
    k.sgemm(false, true, m, n, kk, -1, a, ld, a, ld, 0, shared, n);
    k.sgemm(false, true, m, n, kk, -1, a, ld, a.slice(), ld, 0, separate, n);
    expect(shared).toEqual(separate);
    // A view at another offset of the same buffer is a different operand.
    const b = a.subarray(ld);
    const offset = new Float32Array(m * n);
    k.sgemm(false, true, m, n, kk, 1, a, ld, b, ld, 0, offset, n);
    const offsetCopy = new Float32Array(m * n);
    k.sgemm(false, true, m, n, kk, 1, a, ld, b.slice(), ld, 0, offsetCopy, n);
    expect(offset).toEqual(offsetCopy);
  });
});
