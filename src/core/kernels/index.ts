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

export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(simdProbe);
  } catch {
    return false;
  }
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
const repoWasmPath = '../../../public/wasm/kernels.wasm';

async function readWasmBytes(): Promise<BufferSource> {
  if (isNode) {
    // Computed specifier + @vite-ignore: bundlers must not pull node:fs into a browser build.
    const fsModule = 'node:fs/promises';
    const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsModule);
    return new Uint8Array(await fs.readFile(new URL(repoWasmPath, import.meta.url)));
  }
  const base: string = import.meta.env?.BASE_URL ?? '/';
  const url = `${base.startsWith('/') || base.includes('://') ? base : '/'}wasm/kernels.wasm`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

let loading: Promise<Kernels> | undefined;

/** The fastest kernels available here: WASM SIMD if supported and found, else plain JS. */
export function loadKernels(): Promise<Kernels> {
  loading ??= (async () => {
    if (!wasmSimdSupported()) return jsKernels;
    try {
      return await instantiateKernels(await readWasmBytes());
    } catch (err) {
      console.warn(`kernels: falling back to plain JS (${(err as Error).message})`);
      return jsKernels;
    }
  })();
  return loading;
}
