// `npm run bench:qaf`: the factorization engine on ResNet-20's eighteen 3x3 block convs at
// rate 2, 4 bits, one thread: QAF (ADMM, default preset) against its baselines (FTQ, PTQ per
// tensor, float CP) in the same run, QAF with one scale per rank-1 component ('component')
// next to the default one scale per factor, and the published preset on the first four layer1
// convs.
// Prints a table, then exactly one JSON line. Times include the float CP initialisation; the
// machine is shared, so read them next to the load average printed with them.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import {
  type CompressJob,
  type CompressMethod,
  compressLayer,
  type LayerResult,
  modelLayerJobs,
} from '../src/core/factor/index.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { readModel } from '../src/core/onnx/index.ts';

const sharedDir = process.env.QAF_SHARED_DIR ?? resolve(import.meta.dirname, '../../shared');
const rate = 2;
const bits = 4;

const kernels = await loadKernels();
const model = readModel(new Uint8Array(readFileSync(`${sharedDir}/models/resnet20_cifar10.onnx`)));
const jobs = modelLayerJobs(model, { method: 'admm', rate, bits });

function runAll(
  method: CompressMethod,
  subset: CompressJob[],
  preset: CompressJob['preset'] = 'default',
  scales: CompressJob['scales'] = 'factor',
) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const results = subset.map((job) => compressLayer(kernels, { ...job, method, preset, scales }));
  const seconds = (performance.now() - t0) / 1000;
  // CPU time next to wall time: on a shared machine the wall clock mostly measures the others.
  const cpuSeconds = process.cpuUsage(cpu0).user / 1e6;
  const meanError = results.reduce((s, r) => s + r.error, 0) / results.length;
  return { results, seconds, cpuSeconds, meanError };
}

const admm = runAll('admm', jobs);
const component = runAll('admm', jobs, 'default', 'component');
const ftq = runAll('ftq', jobs);
const ptq = runAll('ptq', jobs);
const cp = runAll('cp', jobs);
const layer1 = jobs.filter((j) => j.name.includes('layer1')).slice(0, 4);
const published = runAll('admm', layer1, 'published');

const f4 = (x: number) => x.toFixed(4);
const byName = (rs: LayerResult[]) => new Map(rs.map((r) => [r.name, r]));
const pub = byName(published.results);
const header = [
  'layer',
  'weight',
  'rank',
  'float CP',
  'FTQ',
  'PTQ',
  'ADMM',
  'ADMM ms',
  'per-comp.',
  'p-c. ms',
  'published',
  'pub. ms',
];
const rows = jobs.map((job, i) => {
  const p = pub.get(job.name);
  return [
    job.name,
    job.shape.join('x'),
    String(admm.results[i].rank),
    f4(cp.results[i].error),
    f4(ftq.results[i].error),
    f4(ptq.results[i].error),
    f4(admm.results[i].error),
    admm.results[i].ms.toFixed(0),
    f4(component.results[i].error),
    component.results[i].ms.toFixed(0),
    p ? f4(p.error) : '',
    p ? p.ms.toFixed(0) : '',
  ];
});
rows.push([
  'mean / total',
  '',
  '',
  f4(cp.meanError),
  f4(ftq.meanError),
  f4(ptq.meanError),
  f4(admm.meanError),
  (admm.seconds * 1000).toFixed(0),
  f4(component.meanError),
  (component.seconds * 1000).toFixed(0),
  f4(published.meanError),
  (published.seconds * 1000).toFixed(0),
]);
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
const line = (cells: string[]) =>
  cells.map((s, c) => (c < 2 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
console.log(
  `ResNet-20, ${jobs.length} block convs, rate ${rate}, ${bits} bits, kernels ${kernels.name}, load ${loadavg()[0].toFixed(1)}`,
);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
const speedup =
  published.seconds /
  admm.results.filter((r) => pub.has(r.name)).reduce((s, r) => s + r.ms / 1000, 0);
console.log(
  `ADMM default: ${admm.seconds.toFixed(1)} s wall (${admm.cpuSeconds.toFixed(1)} s CPU) for all ${jobs.length} layers; on layer1's four convs ` +
    `${speedup.toFixed(0)}x faster than the published preset; FTQ/ADMM error ratio ${(ftq.meanError / admm.meanError).toFixed(2)}`,
);
const lower = component.results.filter((r, i) => r.error < admm.results[i].error).length;
console.log(
  `per-component scales: mean error ${f4(component.meanError)} vs ${f4(admm.meanError)} per factor, lower on ${lower} of ${jobs.length} layers; ${component.seconds.toFixed(1)} s wall (${component.cpuSeconds.toFixed(1)} s CPU)`,
);
console.log(
  JSON.stringify({
    model: 'resnet20',
    rate,
    bits,
    layers: jobs.length,
    admm: { meanError: admm.meanError, seconds: admm.seconds, cpuSeconds: admm.cpuSeconds },
    admmComponentScales: {
      meanError: component.meanError,
      seconds: component.seconds,
      cpuSeconds: component.cpuSeconds,
      lowerOn: lower,
    },
    ftq: { meanError: ftq.meanError },
    ptq: { meanError: ptq.meanError },
    cp: { meanError: cp.meanError },
    publishedPreset: {
      layers: layer1.length,
      meanError: published.meanError,
      seconds: published.seconds,
    },
  }),
);
