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
   * Use kernels-relaxed.wasm where the engine has relaxed SIMD: sgemm and mttkrp3 use fused
   * multiply-adds (about 1.4x faster on CPUs with two FMA ports). Off by default because their
   * last bits then depend on the CPU, so results would no longer match the default build's (or
   * another machine's) bit for bit. The projection is the same in both builds.
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

/** The fastest kernels available here: WASM SIMD if supported and found, else plain JS. */
export function loadKernels(options: LoadKernelsOptions = {}): Promise<Kernels> {
  const files: string[] = [];
  if (options.relaxedSimd && wasmRelaxedSimdSupported()) files.push('kernels-relaxed.wasm');
  if (wasmSimdSupported()) files.push('kernels.wasm');
  const key = files.join();
  let pending = loading.get(key);
  if (!pending) {
    pending = files.length ? loadFirst(files) : Promise.resolve(jsKernels);
    loading.set(key, pending);
  }
  return pending;
}
