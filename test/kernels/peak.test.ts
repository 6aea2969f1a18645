import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// peakGflopsProbe is the ceiling bench/kernels.ts compares the kernels with; here only that it
// computes what it claims (12 chains of x = x * m + c, two rounds per step), never its speed.
describe('peakGflopsProbe (kernels.wasm)', () => {
  it('runs 12 chains of x * m + c in float32 and sums them', async () => {
    const bytes = readFileSync(new URL('../../public/wasm/kernels.wasm', import.meta.url));
    const { instance } = await WebAssembly.instantiate(bytes, {});
    const probe = instance.exports.peakGflopsProbe as (iters: number) => number;
    const f = Math.fround;
    const m = f(0.999);
    const c = f(0.001);
    const iters = 37;
    const x = Array.from({ length: 12 }, (_, i) => f(1 + i / 100));
    for (let s = 0; s < 2 * iters; s++) {
      for (let i = 0; i < 12; i++) x[i] = f(f(x[i] * m) + c);
    }
    const add = (a: number, b: number) => f(a + b);
    const half = (o: number) =>
      add(add(add(x[o], x[o + 1]), add(x[o + 2], x[o + 3])), add(x[o + 4], x[o + 5]));
    expect(probe(iters)).toBe(add(half(0), half(6)));
  });
});
