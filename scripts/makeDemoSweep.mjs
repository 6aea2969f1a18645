#!/usr/bin/env node
// Measures the demo's trade-off curves in advance (public/demo/sweep.json), so a first visit
// to the demo shows QAF against FTQ and PTQ at once instead of empty charts. It is the app's own
// default sweep (QAF, FTQ, PTQ at rates 1.5/2/3 and 4/8 bits, calibrated twins, the float model)
// on the same bundled files with the worker's settings (512 calibration images, 5 latency runs),
// run by `qaf sweep` in Node. The app labels these points as measured in advance (latency is
// Node's) and "Run baseline sweep" measures them again in the browser. Re-run after a change to
// the kernels, the solver or the rewrite: `npm run demo:sweep` (a few minutes).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const demo = (name) => join('public/demo', name);
const args = [
  'sweep',
  demo('resnet20_cifar10.onnx'),
  '--data',
  demo('cifar10_test_1000.bin'),
  '--calibration-data',
  demo('cifar10_train_1024.bin'),
  '--calibration-images',
  '512',
  '--methods',
  'admm,ftq,ptq',
  '--rates',
  '1.5,2,3',
  '--bits',
  '4,8',
  '--runs',
  '5',
  '--no-cache',
  '--json',
];
const started = Date.now();
const out = execFileSync(process.execPath, [join(repoRoot, 'bin/qaf'), ...args], {
  cwd: repoRoot,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 64 << 20,
});
const result = JSON.parse(out.trim().split('\n').at(-1));
const file = {
  measuredWith: {
    command: `qaf ${args.join(' ')}`,
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
  },
  ...result,
};
writeFileSync(join(repoRoot, demo('sweep.json')), `${JSON.stringify(file)}\n`);
// In the repo's one style, so `npm run lint` stays clean.
execFileSync(
  process.execPath,
  [
    join(repoRoot, 'node_modules/@biomejs/biome/bin/biome'),
    'format',
    '--write',
    demo('sweep.json'),
  ],
  { cwd: repoRoot, stdio: 'ignore' },
);
console.log(
  `demo:sweep: ${result.points.length} points in ${((Date.now() - started) / 1000).toFixed(0)} s -> ${demo('sweep.json')}`,
);
