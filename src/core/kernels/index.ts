// Entry point of the kernels: the SIMD WebAssembly build when the engine supports it and the
// module can be found, the plain TypeScript fallback otherwise. Works unchanged in a Vite
// module worker, the main thread, Node (CLI, vitest) and the benchmarks.
import { jsKernels } from './js.ts';
import type { Kernels } from './types.ts';
import { wasmKernelsFrom } from './wasm.ts';

export { jsKernels } from './js.ts';
export * from './types.ts';

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt drop)): validates only
// where fixed-width SIMD is implemented (the probe wasm-feature-detect uses).
const simdProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15,
  253, 98, 11,
]);

// (module (func (result v128) v128.const 0 x3 f32x4.relaxed_madd)); v128.const is fd 0c + 16 bytes.
const relaxedProbe = new Uint8Array(82);
relaxedProbe.set([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
]);
for (let i = 0; i < 3; i++) relaxedProbe.set([253, 12], 24 + 18 * i);
relaxedProbe.set([253, 133, 2, 11], 78);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

export function wasmSimdSupported(): boolean {
  return validates(simdProbe);
}

/** Relaxed SIMD: Chrome 114+, Firefox 146+; Node 20 only with --experimental-wasm-relaxed-simd. */
export function wasmRelaxedSimdSupported(): boolean {
  return validates(relaxedProbe);
}

/** Instantiates the SIMD kernels from the bytes of kernels.wasm (for shells that fetch it). */
export async function instantiateKernels(bytes: BufferSource): Promise<Kernels> {
  if (!wasmSimdSupported()) throw new Error('WebAssembly SIMD is not supported here');
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return wasmKernelsFrom(instance);
}

const isNode =
  typeof process !== 'undefined' &&
  typeof process.versions?.node === 'string' &&
  typeof (globalThis as { document?: unknown }).document === 'undefined';

// Kept out of `new URL(<literal>, import.meta.url)` on purpose: Vite would otherwise bundle a
// second copy of the module; the browser loads the one public/ serves.
const repoWasmDir = '../../../public/wasm/';

async function readWasmBytes(file: string): Promise<BufferSource> {
  if (isNode) {
    // Computed specifier + @vite-ignore: bundlers must not pull node:fs into a browser build.
    const fsModule = 'node:fs/promises';
    const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsModule);
    return new Uint8Array(await fs.readFile(new URL(repoWasmDir + file, import.meta.url)));
  }
  const base: string = import.meta.env?.BASE_URL ?? '/';
  const url = `${base.startsWith('/') || base.includes('://') ? base : '/'}wasm/${file}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

export interface LoadKernelsOptions {
  /**
   * Use kernels-relaxed.wasm (sgemm and mttkrp3 with fused multiply-adds) where the engine has
   * relaxed SIMD; the default. On CPUs with FMA (every x86-64 since 2013, every arm64) V8 lowers
   * `f32x4.relaxed_madd` to one fused, singly rounded multiply-add, so results are the same on
   * all of them, Node or Chromium; only a CPU without FMA rounds twice and differs in the last
   * bits. The projection never uses it, so grid codes are the same in both builds. On Intel
   * cores (FP multiply and add share two ports) this is about 1.7x faster; on AMD Zen it is a
   * wash. `false`, or QAF_KERNELS=plain in Node, selects kernels.wasm.
   */
  relaxedSimd?: boolean;
}

const loading = new Map<string, Promise<Kernels>>();

async function loadFirst(files: string[]): Promise<Kernels> {
  for (const file of files) {
    try {
      return await instantiateKernels(await readWasmBytes(file));
    } catch (err) {
      console.warn(`kernels: cannot load ${file} (${(err as Error).message})`);
    }
  }
  console.warn('kernels: falling back to plain JS');
  return jsKernels;
}

// Node 20's V8 implements relaxed SIMD but only behind --experimental-wasm-relaxed-simd (it is
// on by default from V8 11.4, Node 22). Wasm feature flags are read at validation time, so
// turning it on here, before the first compile, is enough; the probe then says whether it took.
let relaxedFlagTried = false;
async function relaxedSimdAvailable(): Promise<boolean> {
  if (wasmRelaxedSimdSupported()) return true;
  if (!isNode || relaxedFlagTried) return false;
  relaxedFlagTried = true;
  try {
    const v8Module = 'node:v8';
    const v8: typeof import('node:v8') = await import(/* @vite-ignore */ v8Module);
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return wasmRelaxedSimdSupported();
}

function envWantsPlain(): boolean {
  return isNode && process.env.QAF_KERNELS === 'plain';
}

/**
 * The fastest kernels available here: the relaxed-SIMD build where the engine has it (Chromium
 * 114+, Firefox 146+, Node 20 with the flag this turns on), else the plain SIMD build, else
 * plain JS. Memoised per choice.
 */
export async function loadKernels(options: LoadKernelsOptions = {}): Promise<Kernels> {
  const wantRelaxed = options.relaxedSimd ?? !envWantsPlain();
  const files: string[] = [];
  if (wantRelaxed && (await relaxedSimdAvailable())) files.push('kernels-relaxed.wasm');
  if (wasmSimdSupported()) files.push('kernels.wasm');
  const key = files.join();
  let pending = loading.get(key);
  if (!pending) {
    pending = files.length ? loadFirst(files) : Promise.resolve(jsKernels);
    loading.set(key, pending);
  }
  return pending;
}
