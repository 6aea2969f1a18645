import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  loadKernels,
  wasmRelaxedSimdSupported,
  wasmSimdSupported,
} from '../../src/core/kernels/index.ts';
import { wasmKernelsFrom } from '../../src/core/kernels/wasm.ts';
import { randomF32, refSgemm, relError, rng } from './reference.ts';

const wasmPath = new URL('../../public/wasm/kernels.wasm', import.meta.url);

describe('loadKernels', () => {
  it("picks the relaxed-SIMD build by default, turning on Node 20's flag itself", async () => {
    expect(wasmSimdSupported()).toBe(true);
    const k = await loadKernels();
    expect(k.name).toBe('wasm-relaxed-simd');
    expect(wasmRelaxedSimdSupported()).toBe(true);
    expect(await loadKernels()).toBe(k);
  });

  it('gives the plain SIMD build on request, by option or by QAF_KERNELS=plain', async () => {
    const plain = await loadKernels({ relaxedSimd: false });
    expect(plain.name).toBe('wasm-simd');
    const saved = process.env.QAF_KERNELS;
    process.env.QAF_KERNELS = 'plain';
    try {
      expect(await loadKernels()).toBe(plain);
    } finally {
      if (saved === undefined) delete process.env.QAF_KERNELS;
      else process.env.QAF_KERNELS = saved;
    }
    expect((await loadKernels()).name).toBe('wasm-relaxed-simd');
  });

  it('both builds agree with the float64 reference and project identically', async () => {
    const next = rng(5);
    const [relaxed, plain] = [await loadKernels(), await loadKernels({ relaxedSimd: false })];
    const a = randomF32(33 * 130, next);
    const b = randomF32(130 * 7, next);
    const want = refSgemm(false, false, 33, 7, 130, 1, a, 130, b, 7, 0, new Float32Array(231), 7);
    for (const k of [relaxed, plain]) {
      const c = new Float32Array(33 * 7);
      k.sgemm(false, false, 33, 7, 130, 1, a, 130, b, 7, 0, c, 7);
      expect(relError(c, want)).toBeLessThan(1e-5);
    }
    const x = randomF32(8576, next);
    const [p, q] = [relaxed.projectToGrid(x, 4), plain.projectToGrid(x, 4)];
    expect(p.scales).toEqual(q.scales);
    expect(p.codes).toEqual(q.codes);
  });
});

describe('wasm memory ownership', () => {
  it('reuses memory across calls and refreshes views after it grows', async () => {
    const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath));
    const memory = instance.exports.memory as WebAssembly.Memory;
    const k = wasmKernelsFrom(instance);
    const next = rng(9);
    const run = (n: number) => {
      const a = randomF32(n * n, next);
      const b = randomF32(n * n, next);
      const c = new Float32Array(n * n);
      k.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
      const want = refSgemm(false, false, n, n, n, 1, a, n, b, n, 0, new Float32Array(n * n), n);
      expect(relError(c, want)).toBeLessThan(1e-5);
    };
    run(20);
    const small = memory.buffer.byteLength;
    for (let i = 0; i < 20; i++) run(20);
    expect(memory.buffer.byteLength).toBe(small);
    run(300); // forces memory.grow, which detaches every earlier view
    const big = memory.buffer.byteLength;
    expect(big).toBeGreaterThan(small);
    run(20);
    const x = randomF32(5000, next);
    k.projectToGrid(x, 4);
    k.mttkrp3(
      x,
      [10, 10, 50],
      [randomF32(30, next), randomF32(30, next), randomF32(150, next)],
      3,
      1,
    );
    for (let i = 0; i < 10; i++) run(300);
    expect(memory.buffer.byteLength).toBe(big);
  });
});
