// Float64 references written the plain way, straight from the definitions, plus a seeded PRNG,
// for checking both kernel implementations.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instantiateKernels, jsKernels, type Kernels } from '../../src/core/kernels/index.ts';
import { mulberry32 } from '../../src/core/util/prng.ts';

/** mulberry32 (the core's seeded PRNG): the same sequence on every engine. */
export const rng = mulberry32;

/** Uniform values in [-1, 1). */
export function randomF32(n: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => 2 * next() - 1);
}

/** Approximately standard normal values (sum of uniforms), like trained weights. */
export function gaussianF32(n: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => next() + next() + next() + next() - 2);
}

/** ||got - want||_F / ||want||_F in float64. */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    e += (got[i] - want[i]) ** 2;
    w += want[i] ** 2;
  }
  return w === 0 ? Math.sqrt(e) : Math.sqrt(e / w);
}

export function refSgemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): Float64Array {
  const out = new Float64Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = c[i];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * lda + i] : a[i * lda + p];
        const bv = transB ? b[j * ldb + p] : b[p * ldb + j];
        s += av * bv;
      }
      out[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * ldc + j]);
    }
  }
  return out;
}

export function refMttkrp3(
  x: Float32Array,
  [ni, nj, nk]: readonly [number, number, number],
  [fa, fb, fc]: readonly [Float32Array, Float32Array, Float32Array],
  rank: number,
  mode: 0 | 1 | 2,
): Float64Array {
  const rows = [ni, nj, nk][mode];
  const out = new Float64Array(rows * rank);
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      for (let k = 0; k < nk; k++) {
        const v = x[(i * nj + j) * nk + k];
        for (let r = 0; r < rank; r++) {
          const ar = fa[i * rank + r];
          const br = fb[j * rank + r];
          const cr = fc[k * rank + r];
          if (mode === 0) out[i * rank + r] += v * br * cr;
          else if (mode === 1) out[j * rank + r] += v * ar * cr;
          else out[k * rank + r] += v * ar * br;
        }
      }
    }
  }
  return out;
}

/** The published search, in float64: 200 full passes, first minimum wins. */
export function refProjectMse(x: Float32Array, bits: number, scale: number): number {
  const qMin = -(2 ** (bits - 1));
  const qMax = 2 ** (bits - 1) - 1;
  let sse = 0;
  for (const v of x) {
    const r = v / scale;
    const q = Math.min(qMax, Math.max(qMin, Math.sign(r) * Math.floor(Math.abs(r) + 0.5)));
    sse += (v - scale * q) ** 2;
  }
  return sse / x.length;
}

/** MSE of the values a projection really returns. */
export function mseOf(x: Float32Array, values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - values[i]) ** 2;
  return s / x.length;
}

let wasm: Promise<Kernels> | undefined;

/** The WASM build the browser loads; fails loudly if `npm run build:wasm` has not run. */
export function wasmKernels(): Promise<Kernels> {
  const path = fileURLToPath(new URL('../../public/wasm/kernels.wasm', import.meta.url));
  wasm ??= instantiateKernels(new Uint8Array(readFileSync(path)));
  return wasm;
}

/** Both implementations, for describe.each-style loops. */
export async function bothKernels(): Promise<Kernels[]> {
  return [jsKernels, await wasmKernels()];
}
