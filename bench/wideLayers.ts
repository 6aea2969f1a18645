// `npm run bench:wide [-- --sizes 64,128,256,512,gemm] [--scales component,factor]`: QAF on
// wide layers (issue #14), one thread, seeded synthetic weights with a decaying spectrum
// (syntheticWeights.ts): 3x3 convs with C_in = C_out = C, and a 1000 x 512 Gemm, at rate 2,
// 4 bits. Each layer runs the new and the old path of qafPaths.ts for every grid-scales setting
// (default: the engine's default, DEFAULT_QAF_SCALES, then the other); the two runs of a size
// alternate which goes first, so drift of this shared machine hits both. The old path at
// C = 512 takes minutes: --sizes and --scales pick the cases. Prints a table, then one JSON line.
import { loadavg } from 'node:os';
import { DEFAULT_QAF_SCALES, type QafScales } from '../src/core/factor/types.ts';
import { type Kernels, loadKernels } from '../src/core/kernels/index.ts';
import { rankFromRate } from '../src/core/util/rank.ts';
import {
  ensureWasmBuilt,
  kernelsNote,
  listArg,
  NEW_SETTINGS,
  OLD_SETTINGS,
  type PathResult,
  runPath,
} from './qafPaths.ts';
import { syntheticConv, syntheticMatrix } from './syntheticWeights.ts';

const rate = 2;
const bits = 4;

interface Case {
  name: string;
  shape: number[];
  dims: number[];
  weight: Float32Array;
}

function makeCase(kernels: Kernels, size: string): Case {
  if (size === 'gemm') {
    const weight = syntheticMatrix(kernels, 1000, 512, 1512);
    return { name: 'Gemm 1000x512', shape: [1000, 512], dims: [1000, 512], weight };
  }
  const c = Number(size);
  if (!Number.isInteger(c) || c < 1) throw new Error(`--sizes: not a size: ${size}`);
  const weight = syntheticConv(kernels, c, c, 3, 1000 + c);
  return { name: `conv 3x3 C=${c}`, shape: [c, c, 3, 3], dims: [c, c, 9], weight };
}

ensureWasmBuilt();
const kernels = await loadKernels();
if (kernelsNote(kernels.name)) console.log(kernelsNote(kernels.name));
const sizes = listArg(process.argv.slice(2), 'sizes', '64,128,256,512,gemm');
const otherScales: QafScales = DEFAULT_QAF_SCALES === 'factor' ? 'component' : 'factor';
const scalesList = listArg(
  process.argv.slice(2),
  'scales',
  `${DEFAULT_QAF_SCALES},${otherScales}`,
).map((s) => {
  if (s !== 'factor' && s !== 'component') throw new Error(`--scales: not factor|component: ${s}`);
  return s as QafScales;
});
const f3 = (x: number) => x.toFixed(3);
const f4 = (x: number) => x.toFixed(4);
const header = [
  'layer',
  'scales',
  'rank',
  'err old',
  'err new',
  'float old',
  'float new',
  'init s old',
  'init s new',
  'ADMM s old',
  'ADMM s new',
  'total old',
  'total new',
  'speed-up',
];
const widths = [16, 9, 5, 7, 7, 9, 9, 10, 10, 10, 10, 9, 9, 8];
const line = (cells: string[]) =>
  cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
console.log(
  `QAF on wide layers, rate ${rate}, ${bits} bits, kernels ${kernels.name}, one thread, CPU seconds, load ${loadavg()[0].toFixed(1)}, default scales ${DEFAULT_QAF_SCALES}`,
);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
// Warm-up, not reported: V8 first runs wasm and hot JavaScript unoptimised, which would
// charge the first case's first path for the compile.
for (const path of ['new', 'old'] as const) {
  for (const size of ['48', 'gemm-small']) {
    const layer =
      size === 'gemm-small'
        ? { name: '', shape: [96, 64], dims: [96, 64], weight: syntheticMatrix(kernels, 96, 64, 1) }
        : makeCase(kernels, size);
    for (const scales of scalesList)
      runPath(
        kernels,
        layer.weight,
        layer.dims,
        rankFromRate(layer.dims, rate),
        bits,
        path,
        scales,
      );
  }
}
const cases: Record<string, unknown>[] = [];
let turn = 0;
for (const size of sizes) {
  const layer = makeCase(kernels, size);
  const rank = rankFromRate(layer.dims, rate);
  for (const scales of scalesList) {
    const order: ('old' | 'new')[] = turn++ % 2 === 0 ? ['new', 'old'] : ['old', 'new'];
    const runs: Partial<Record<'old' | 'new', PathResult>> = {};
    for (const path of order)
      runs[path] = runPath(kernels, layer.weight, layer.dims, rank, bits, path, scales);
    const old = runs.old!;
    const neu = runs.new!;
    const totalOld = old.initSeconds + old.admmSeconds;
    const totalNew = neu.initSeconds + neu.admmSeconds;
    console.log(
      line([
        layer.name,
        scales,
        String(rank),
        f4(old.error),
        f4(neu.error),
        f4(old.floatError),
        f4(neu.floatError),
        f3(old.initSeconds),
        f3(neu.initSeconds),
        f3(old.admmSeconds),
        f3(neu.admmSeconds),
        f3(totalOld),
        f3(totalNew),
        `${(totalOld / totalNew).toFixed(1)}x`,
      ]),
    );
    cases.push({
      name: layer.name,
      shape: layer.shape,
      scales,
      default: scales === DEFAULT_QAF_SCALES,
      rank,
      old,
      new: neu,
      speedup: totalOld / totalNew,
      errorDelta: neu.error - old.error,
    });
  }
}
console.log(
  JSON.stringify({
    bench: 'wideLayers',
    rate,
    bits,
    kernels: kernels.name,
    old: OLD_SETTINGS,
    new: NEW_SETTINGS,
    load: loadavg()[0],
    defaultScales: DEFAULT_QAF_SCALES,
    cases,
  }),
);
