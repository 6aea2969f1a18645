// The plain TypeScript implementation of every kernel: the fallback where WebAssembly SIMD is
// missing, and the reference the WASM build is checked against.
import { potrf, potrs } from './cholesky.ts';
import { codeSweep } from './codeSweep.ts';
import { projectToGrid, projectToGridPlain } from './gridProjection.ts';
import { gram, hadamard, sgemm } from './jsBlas.ts';
import { mttkrp3 } from './jsMttkrp.ts';
import type { Kernels } from './types.ts';

export const jsKernels: Kernels = {
  name: 'js',
  sgemm,
  gram,
  hadamard,
  mttkrp3,
  potrf,
  potrs,
  projectToGrid,
  projectToGridPlain,
  codeSweep,
};
