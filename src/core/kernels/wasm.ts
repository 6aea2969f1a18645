// The Kernels interface over kernels.wasm (AssemblyScript, f32x4 SIMD; sources in
// workers/kernels/assembly). Precision: sgemm, gram and mttkrp3 accumulate in float32 (sgemm
// over at most 256 terms per pass into C), which keeps ~1e-6 relative error at our sizes;
// potrf/potrs run in float64 (ADMM's systems are ill-conditioned early on); the projection
// decides in float64 (see gridProjection.ts). hadamard stays in JS: copying both operands
// into wasm memory costs as much as the product itself.
import { hadamard } from './jsBlas.ts';
import type { CodeSweepArgs, Kernels } from './types.ts';
import { WasmArena } from './wasmArena.ts';
import { type BlasExports, wasmGram, wasmSgemm } from './wasmBlas.ts';
import {
  type NumericExports,
  wasmCodeSweep,
  wasmMttkrp3,
  wasmPotrf,
  wasmPotrs,
  wasmProjectToGrid,
} from './wasmNumerics.ts';

interface KernelExports extends BlasExports, NumericExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  relaxedSimd(): number;
}

/** Kernels over an instantiated kernels.wasm. */
export function wasmKernelsFrom(instance: WebAssembly.Instance): Kernels {
  const ex = instance.exports as unknown as KernelExports;
  const arena = new WasmArena(ex.memory, ex.heapBase());
  return {
    name: ex.relaxedSimd() ? 'wasm-relaxed-simd' : 'wasm-simd',
    sgemm: (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
      wasmSgemm(ex, arena, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
    gram(a, rows, cols, out) {
      const res = out ?? new Float32Array(cols * cols);
      if (rows === 0) res.fill(0, 0, cols * cols);
      else wasmGram(ex, arena, a, rows, cols, res);
      return res;
    },
    hadamard,
    mttkrp3: (x, dims, factors, rank, mode, out) =>
      wasmMttkrp3(ex, arena, x, dims, factors, rank, mode, out),
    potrf: (g, n) => wasmPotrf(ex, arena, g, n),
    potrs: (l, n, b, nrhs) => wasmPotrs(ex, arena, l, n, b, nrhs),
    projectToGrid: (x, bits, options) => wasmProjectToGrid(ex, arena, x, bits, options, false),
    projectToGridPlain: (x, bits, options) => wasmProjectToGrid(ex, arena, x, bits, options, true),
    // A kernels.wasm built before the export existed has none: the polish then runs the
    // JavaScript reference (the same codes), instead of failing on a missing function.
    ...(typeof ex.codeSweep === 'function' && {
      codeSweep: (args: CodeSweepArgs) => wasmCodeSweep(ex, arena, args),
    }),
  };
}
