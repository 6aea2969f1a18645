// `npm run bench:kernels`: kernel speed, single thread, against peers in the same process
// (onnxruntime-web's MatMul, the plain JS kernels, the published projection search). Prints a
// table, then one JSON line. Medians of several repetitions after warm-up; the machine is shared,
// so read the numbers next to `uptime`'s load.
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-web';
import { jsKernels, type Kernels, loadKernels } from '../src/core/kernels/index.ts';
import { matMulModel } from './onnxMatMul.ts';

/** Median milliseconds per call of fn, after `warmup` calls. */
async function medianMs(fn: () => unknown, reps: number, inner = 1, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await fn();
    times.push((performance.now() - t0) / inner);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const rows: [string, string, string][] = [];
const row = (what: string, impl: string, value: string) => rows.push([what, impl, value]);
const gflops = (flops: number, ms: number) => flops / ms / 1e6;

async function benchSgemm(k: Kernels, n: number) {
  const a = seeded(n * n, 1);
  const b = seeded(n * n, 2);
  const c = new Float32Array(n * n);
  const flops = 2 * n ** 3;
  const wasmMs = await medianMs(() => k.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n), 9, 3);
  const jsMs = await medianMs(
    () => jsKernels.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n),
    3,
    1,
    1,
  );
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(matMulModel(n, n, n));
  const feeds = {
    A: new ort.Tensor('float32', a, [n, n]),
    B: new ort.Tensor('float32', b, [n, n]),
  };
  const ortMs = await medianMs(() => session.run(feeds), 9, 3);
  await session.release();
  const res = {
    gflops: gflops(flops, wasmMs),
    ortMatMulGflops: gflops(flops, ortMs),
    jsGflops: gflops(flops, jsMs),
  };
  row(`sgemm ${n}^3`, k.name, `${res.gflops.toFixed(1)} GFLOP/s (${wasmMs.toFixed(2)} ms)`);
  row(
    `sgemm ${n}^3`,
    'onnxruntime-web MatMul',
    `${res.ortMatMulGflops.toFixed(1)} GFLOP/s (${ortMs.toFixed(2)} ms)`,
  );
  row(`sgemm ${n}^3`, 'js', `${res.jsGflops.toFixed(2)} GFLOP/s (${jsMs.toFixed(1)} ms)`);
  return res;
}

async function benchMttkrp(k: Kernels) {
  const dims: [number, number, number] = [64, 64, 9];
  const rank = 134;
  const x = seeded(dims[0] * dims[1] * dims[2], 3);
  const f = [seeded(64 * rank, 4), seeded(64 * rank, 5), seeded(9 * rank, 6)] as const;
  const flops = 2 * dims[0] * dims[1] * dims[2] * rank;
  let totalMs = 0;
  for (const mode of [0, 1, 2] as const) {
    const ms = await medianMs(() => k.mttkrp3(x, dims, f, rank, mode), 15, 5);
    totalMs += ms;
    row(
      `mttkrp3 64x64x9 R=134 mode ${mode}`,
      k.name,
      `${gflops(flops, ms).toFixed(1)} GFLOP/s (${ms.toFixed(3)} ms)`,
    );
  }
  const jsMs = await medianMs(() => jsKernels.mttkrp3(x, dims, f, rank, 0), 3, 1, 1);
  row('mttkrp3 64x64x9 R=134 mode 0', 'js', `${gflops(flops, jsMs).toFixed(2)} GFLOP/s`);
  return { shape: dims, rank, gflops: gflops(3 * flops, totalMs) };
}

async function benchProject(k: Kernels) {
  const n = 64 * 134;
  // Trained factors look roughly Gaussian: sum of uniforms.
  const u = seeded(4 * n, 7);
  const x = Float32Array.from(
    { length: n },
    (_, i) => u[4 * i] + u[4 * i + 1] + u[4 * i + 2] + u[4 * i + 3],
  );
  const msPer = await medianMs(() => k.projectToGrid(x, 4), 15, 10);
  const plainSearchMsPer = await medianMs(() => k.projectToGridPlain(x, 4), 9, 2);
  const jsFast = await medianMs(() => jsKernels.projectToGrid(x, 4), 9, 3);
  const jsPlain = await medianMs(() => jsKernels.projectToGridPlain(x, 4), 3, 1);
  row('project 64x134 4-bit, fast search', k.name, `${msPer.toFixed(3)} ms`);
  row(
    'project 64x134 4-bit, plain 200 passes',
    k.name,
    `${plainSearchMsPer.toFixed(3)} ms (${(plainSearchMsPer / msPer).toFixed(1)}x slower)`,
  );
  row('project 64x134 4-bit, fast search', 'js', `${jsFast.toFixed(3)} ms`);
  row('project 64x134 4-bit, plain 200 passes', 'js', `${jsPlain.toFixed(3)} ms`);
  return { n, msPer, plainSearchMsPer };
}

async function benchCholesky(k: Kernels) {
  for (const [n, nrhs] of [
    [134, 64],
    [512, 64],
  ]) {
    const m = seeded(n * n, 8);
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = i === j ? n : 0;
        for (let p = 0; p < n; p++) s += m[i * n + p] * m[j * n + p];
        g[i * n + j] = s;
      }
    }
    const b = Float64Array.from(seeded(n * nrhs, 9));
    for (const impl of [k, jsKernels]) {
      const l = impl.potrf(g, n);
      const fMs = await medianMs(() => impl.potrf(g, n), 7, 2);
      const sMs = await medianMs(() => impl.potrs(l, n, b.slice(), nrhs), 9, 10);
      row(`potrf n=${n}`, impl.name, `${fMs.toFixed(3)} ms`);
      row(
        `potrs n=${n} nrhs=${nrhs}`,
        impl.name,
        `${sMs.toFixed(3)} ms (${gflops(2 * n * n * nrhs, sMs).toFixed(2)} GFLOP/s)`,
      );
    }
  }
}

const k = await loadKernels();
if (k.name !== 'wasm-simd') console.warn('WASM kernels not found: run `npm run build:wasm` first');
const load = loadavg()[0];
const sgemm512 = await benchSgemm(k, 512);
const mttkrp = await benchMttkrp(k);
const project = await benchProject(k);
await benchCholesky(k);
row('load average (1 min) at start', '', load.toFixed(2));
const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
console.log(JSON.stringify({ sgemm512, mttkrp, project }));
