// Run by relaxed.test.ts in a child Node started with --experimental-wasm-relaxed-simd (Node 20
// has relaxed SIMD only behind that flag): checks kernels-relaxed.wasm and prints one JSON line.
import { readFileSync } from 'node:fs';
import { instantiateKernels, jsKernels } from '../../src/core/kernels/index.ts';
import { gaussianF32, randomF32, refMttkrp3, refSgemm, relError, rng } from './reference.ts';

const bytes = readFileSync(new URL('../../public/wasm/kernels-relaxed.wasm', import.meta.url));
const k = await instantiateKernels(new Uint8Array(bytes));
const next = rng(77);
let sgemmErr = 0;
for (const [m, n, kk] of [
  [1, 1, 1],
  [3, 7, 5],
  [33, 130, 17],
  [67, 129, 260],
  [130, 7, 9],
  [260, 33, 300],
]) {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      const a = randomF32(m * kk, next);
      const b = randomF32(kk * n, next);
      const c = randomF32(m * n, next);
      const [lda, ldb] = [ta ? m : kk, tb ? kk : n];
      const want = refSgemm(ta, tb, m, n, kk, 0.5, a, lda, b, ldb, 2, c, n);
      k.sgemm(ta, tb, m, n, kk, 0.5, a, lda, b, ldb, 2, c, n);
      sgemmErr = Math.max(sgemmErr, relError(c, want));
    }
  }
}
let mttkrpErr = 0;
// K = 1 .. 7, 9, 25: every mode-2 block size (at most 5 rows here) and split.
for (const dims of [
  [7, 3, 9],
  [64, 64, 9],
  [5, 33, 7],
  ...[1, 2, 3, 4, 5, 6, 25].map((nk) => [6, 11, nk]),
] as [number, number, number][]) {
  const x = randomF32(dims[0] * dims[1] * dims[2], next);
  const f = dims.map((d) => randomF32(d * 13, next)) as [Float32Array, Float32Array, Float32Array];
  for (const mode of [0, 1, 2] as const) {
    mttkrpErr = Math.max(
      mttkrpErr,
      relError(k.mttkrp3(x, dims, f, 13, mode), refMttkrp3(x, dims, f, 13, mode)),
    );
  }
}
let projectionIdentical = true;
for (const n of [7, 1000, 8576]) {
  const x = gaussianF32(n, next);
  const p = k.projectToGrid(x, 4);
  const q = jsKernels.projectToGrid(x, 4);
  projectionIdentical &&= p.scales[0] === q.scales[0] && p.codes.every((v, i) => v === q.codes[i]);
}
console.log(JSON.stringify({ name: k.name, sgemmErr, mttkrpErr, projectionIdentical }));
