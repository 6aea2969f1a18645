// `npm run bench:kernels`: kernel speed, single thread, against peers in the same process
// (onnxruntime-web's MatMul, the plain JS kernels, the published projection search) and against
// the machine's ceiling for each build (a register-only multiply-add loop, measured in the same
// run). Prints a table, then one JSON line with the numbers of the kernels loadKernels() returns
// (`kernels`), the other WASM build's sgemm and mttkrp3 (`otherBuild`) and the ceilings.
// Medians of several repetitions
// after warm-up, in this process's CPU time (user + system): everything here runs on one
// thread, and on a machine shared with other jobs the wall clock mostly measures the queue for
// the cores. Wall-clock medians are printed beside them.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-web';
import {
  instantiateKernels,
  jsKernels,
  type Kernels,
  loadKernels,
  wasmRelaxedSimdSupported,
} from '../src/core/kernels/index.ts';
import { matMulModel } from './onnxMatMul.ts';

interface Timing {
  cpuMs: number;
  wallMs: number;
}

async function time(fn: () => unknown, reps: number, inner = 1, warmup = 2): Promise<Timing> {
  // V8 first runs new wasm code from Liftoff and swaps in TurboFan's once a background compile
  // finishes, which takes long when the other core is busy: keep warming up (up to 2 s) while
  // calls still get faster, or the medians would mix both tiers.
  const start = performance.now();
  let best = Number.POSITIVE_INFINITY;
  let flat = 0;
  for (let i = 0; i < warmup || (flat < 3 && performance.now() - start < 2000); i++) {
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    if (ms < best * 0.97) {
      best = ms;
      flat = 0;
    } else flat++;
  }
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await fn();
    wall.push((performance.now() - t0) / inner);
    const used = process.cpuUsage(c0);
    cpu.push((used.user + used.system) / 1000 / inner);
  }
  const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return { cpuMs: median(cpu), wallMs: median(wall) };
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const rows: string[][] = [['what', 'kernels', 'result (CPU time)', 'wall clock']];
const gflops = (flops: number, ms: number) => flops / ms / 1e6;
// GFLOP/s of the f32x4 multiply-add ceiling, by kernels name (measured before the kernels).
const ceilingOf = new Map<string, number>();
function row(what: string, impl: string, t: Timing, flops?: number, vsCeiling = false) {
  let rate = '';
  if (flops) {
    const g = gflops(flops, t.cpuMs);
    const ceiling = vsCeiling ? ceilingOf.get(impl) : undefined;
    const share = ceiling ? ` (${((100 * g) / ceiling).toFixed(0)}% of ceiling)` : '';
    rate = `${g.toFixed(2)} GFLOP/s${share}, `;
  }
  rows.push([what, impl, `${rate}${t.cpuMs.toFixed(3)} ms`, `${t.wallMs.toFixed(3)} ms`]);
}

const wasmFiles = { 'wasm-simd': 'kernels.wasm', 'wasm-relaxed-simd': 'kernels-relaxed.wasm' };
type WasmName = keyof typeof wasmFiles;
const wasmBytes = (name: WasmName) =>
  new Uint8Array(readFileSync(new URL(`../public/wasm/${wasmFiles[name]}`, import.meta.url)));
const relaxedHere = wasmRelaxedSimdSupported();

// 12 independent chains of x = x * m + c on f32x4 in registers (peakGflopsProbe in
// workers/kernels/assembly/peak.ts): a multiply then an add in kernels.wasm, one fused
// multiply-add in kernels-relaxed.wasm. No kernel of that build can beat it.
async function benchCeiling(name: WasmName): Promise<number | null> {
  if (name === 'wasm-relaxed-simd' && !relaxedHere) return null;
  const { instance } = await WebAssembly.instantiate(wasmBytes(name), {});
  const probe = instance.exports.peakGflopsProbe as (iters: number) => number;
  const iters = 5e6;
  const t = await time(() => probe(iters), 7);
  const what =
    name === 'wasm-simd' ? 'ceiling: 12 chains x*m+c (mul, add)' : 'ceiling: 12 chains x*m+c (fma)';
  row(what, name, t, iters * 2 * 12 * 4 * 2);
  const g = gflops(iters * 2 * 12 * 4 * 2, t.cpuMs);
  ceilingOf.set(name, g);
  return g;
}

async function benchSgemm(k: Kernels, n: number, withPeers: boolean) {
  const a = seeded(n * n, 1);
  const b = seeded(n * n, 2);
  const c = new Float32Array(n * n);
  const flops = 2 * n ** 3;
  const wasm = await time(() => k.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n), 9, 3);
  row(`sgemm ${n}^3`, k.name, wasm, flops, true);
  if (!withPeers) return { gflops: gflops(flops, wasm.cpuMs) };
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(matMulModel(n, n, n));
  const feeds = {
    A: new ort.Tensor('float32', a, [n, n]),
    B: new ort.Tensor('float32', b, [n, n]),
  };
  const onnx = await time(() => session.run(feeds), 9, 3);
  await session.release();
  row(`sgemm ${n}^3`, 'onnxruntime-web MatMul', onnx, flops);
  const js = await time(
    () => jsKernels.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n),
    3,
    1,
    1,
  );
  row(`sgemm ${n}^3`, 'js', js, flops);
  return {
    gflops: gflops(flops, wasm.cpuMs),
    ortMatMulGflops: gflops(flops, onnx.cpuMs),
    jsGflops: gflops(flops, js.cpuMs),
  };
}

async function benchMttkrp(k: Kernels) {
  const dims: [number, number, number] = [64, 64, 9];
  const rank = 134;
  const x = seeded(dims[0] * dims[1] * dims[2], 3);
  const f = [seeded(64 * rank, 4), seeded(64 * rank, 5), seeded(9 * rank, 6)] as const;
  const flops = 2 * dims[0] * dims[1] * dims[2] * rank;
  let totalMs = 0;
  for (const mode of [0, 1, 2] as const) {
    const t = await time(() => k.mttkrp3(x, dims, f, rank, mode), 15, 5);
    totalMs += t.cpuMs;
    row(`mttkrp3 64x64x9 R=134 mode ${mode}`, k.name, t, flops, true);
  }
  return { shape: dims, rank, gflops: gflops(3 * flops, totalMs) };
}

async function benchProject(k: Kernels) {
  const n = 64 * 134;
  // Trained factors look roughly Gaussian: sums of uniforms.
  const u = seeded(4 * n, 7);
  const x = Float32Array.from(
    { length: n },
    (_, i) => u[4 * i] + u[4 * i + 1] + u[4 * i + 2] + u[4 * i + 3],
  );
  const fast = await time(() => k.projectToGrid(x, 4), 15, 10);
  const plain = await time(() => k.projectToGridPlain(x, 4), 9, 2);
  row('project 64x134 4-bit, fast exact search', k.name, fast);
  row('project 64x134 4-bit, plain 200 passes', k.name, plain);
  row(
    'project 64x134 4-bit, fast exact search',
    'js',
    await time(() => jsKernels.projectToGrid(x, 4), 9, 3),
  );
  row(
    'project 64x134 4-bit, plain 200 passes',
    'js',
    await time(() => jsKernels.projectToGridPlain(x, 4), 3, 1),
  );
  // Per-channel (64 rows of 134) and 8 bits: rows too small for the fast search, which then
  // falls back to a direct float64 search (fastSearchPays in gridProjection.ts).
  for (const [bits, channels] of [
    [8, 1],
    [4, 64],
    [8, 64],
  ]) {
    const opts = { channels };
    const what = `project 64x134 ${bits}-bit, ${channels === 1 ? 'per tensor' : 'per channel'}`;
    row(`${what}, projectToGrid`, k.name, await time(() => k.projectToGrid(x, bits, opts), 9, 2));
    row(
      `${what}, plain 200 passes`,
      k.name,
      await time(() => k.projectToGridPlain(x, bits, opts), 9, 2),
    );
  }
  return { n, msPer: fast.cpuMs, plainSearchMsPer: plain.cpuMs };
}

function spd(n: number): Float64Array {
  const m = seeded(n * n, 8);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let p = 0; p < n; p++) s += m[i * n + p] * m[j * n + p];
      g[i * n + j] = s;
    }
  }
  return g;
}

async function benchCholesky(k: Kernels) {
  for (const [n, nrhs] of [
    [134, 64],
    [512, 64],
  ]) {
    const g = spd(n);
    const b = Float64Array.from(seeded(n * nrhs, 9));
    for (const impl of [k, jsKernels]) {
      const l = impl.potrf(g, n);
      row(`potrf n=${n}`, impl.name, await time(() => impl.potrf(g, n), 7, 2), n ** 3 / 3);
      const solve = await time(() => impl.potrs(l, n, b.slice(), nrhs), 9, 10);
      row(`potrs n=${n} nrhs=${nrhs}`, impl.name, solve, 2 * n * n * nrhs);
    }
  }
}

// The WASM build loadKernels() did not pick: relaxed SIMD where the default is plain and this
// Node has it (the npm script passes --experimental-wasm-relaxed-simd), else the plain one.
async function otherBuild(k: Kernels): Promise<Kernels | null> {
  if (k.name === 'wasm-relaxed-simd') return instantiateKernels(wasmBytes('wasm-simd'));
  if (k.name === 'wasm-simd' && relaxedHere) {
    return instantiateKernels(wasmBytes('wasm-relaxed-simd'));
  }
  rows.push(['other WASM build', '-', 'not measured: needs relaxed SIMD', '']);
  return null;
}

const k = await loadKernels();
if (!k.name.startsWith('wasm')) {
  console.warn('WASM kernels not found: run `npm run build:wasm` first');
}
const loadAtStart = loadavg()[0];
const ceiling = {
  mulAddGflops: await benchCeiling('wasm-simd'),
  fmaGflops: await benchCeiling('wasm-relaxed-simd'),
};
const sgemm512 = await benchSgemm(k, 512, true);
const mttkrp = await benchMttkrp(k);
const other = await otherBuild(k);
const otherResults = other && {
  kernels: other.name,
  sgemm512Gflops: (await benchSgemm(other, 512, false)).gflops,
  mttkrpGflops: (await benchMttkrp(other)).gflops,
};
const project = await benchProject(k);
await benchCholesky(k);
rows.push([
  'load average (1 min)',
  '',
  `${loadAtStart.toFixed(2)} at start`,
  `${loadavg()[0].toFixed(2)} at end`,
]);
const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
console.log(
  JSON.stringify({
    sgemm512,
    mttkrp,
    project,
    kernels: k.name,
    ceiling,
    otherBuild: otherResults,
  }),
);
