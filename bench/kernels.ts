// `npm run bench:kernels`: kernel speed, single thread, against peers in the same process
// (onnxruntime-web's MatMul, the plain JS kernels, the published projection search). Prints a
// table, then one JSON line with the default kernels' numbers. Medians of several repetitions
// after warm-up, in this process's CPU time (user + system): everything here runs on one
// thread, and on a machine shared with other jobs the wall clock mostly measures the queue for
// the cores. Wall-clock medians are printed beside them.
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-web';
import {
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
  for (let i = 0; i < warmup; i++) await fn();
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
function row(what: string, impl: string, t: Timing, flops?: number) {
  const rate = flops ? `${gflops(flops, t.cpuMs).toFixed(2)} GFLOP/s, ` : '';
  rows.push([what, impl, `${rate}${t.cpuMs.toFixed(3)} ms`, `${t.wallMs.toFixed(3)} ms`]);
}

async function benchSgemm(k: Kernels, n: number, withPeers: boolean) {
  const a = seeded(n * n, 1);
  const b = seeded(n * n, 2);
  const c = new Float32Array(n * n);
  const flops = 2 * n ** 3;
  const wasm = await time(() => k.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n), 9, 3);
  row(`sgemm ${n}^3`, k.name, wasm, flops);
  if (!withPeers) return undefined;
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
    row(`mttkrp3 64x64x9 R=134 mode ${mode}`, k.name, t, flops);
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

// The opt-in relaxed-SIMD build, when this Node has relaxed SIMD (the npm script passes
// --experimental-wasm-relaxed-simd); table only, the JSON line reports the default build.
async function benchRelaxed() {
  if (!wasmRelaxedSimdSupported()) {
    rows.push([
      'relaxed-SIMD build',
      '-',
      'not measured: needs --experimental-wasm-relaxed-simd',
      '',
    ]);
    return;
  }
  const r = await loadKernels({ relaxedSimd: true });
  await benchSgemm(r, 512, false);
  await benchMttkrp(r);
}

const k = await loadKernels();
if (k.name !== 'wasm-simd') console.warn('WASM kernels not found: run `npm run build:wasm` first');
const loadAtStart = loadavg()[0];
const sgemm512 = await benchSgemm(k, 512, true);
const mttkrp = await benchMttkrp(k);
await benchRelaxed();
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
console.log(JSON.stringify({ sgemm512, mttkrp, project }));
