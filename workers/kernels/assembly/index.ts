// The exports of kernels.wasm. Memory is owned by the TypeScript side (src/core/kernels/wasm.ts):
// it lays inputs, outputs and scratch out above heapBase() for each call; nothing here allocates.
export { potrf, potrs, potrsWorkBytes } from './cholesky';
export { codeSweep } from './codeSweep';
export { copyPadded, copyUnpadded, heapBase, relaxedSimd } from './memory';
export { mttkrp3 } from './mttkrp';
export { mttkrpWorkBytes } from './mttkrpGemm';
export { peakGflopsProbe } from './peak';
export { projectToGrid, projectWorkBytes } from './project';
export { sgemm, sgemmWorkBytes } from './sgemm';
