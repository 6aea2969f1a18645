#!/usr/bin/env node
// `npm test`: every check in one run. Stages keep going after a failure so the final count
// covers unit and e2e together; the exit code is non-zero if any stage failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const stages = [
  ['build kernels', 'npm', ['run', '-s', 'build:wasm']],
  ['type-check', 'npm', ['run', '-s', 'typecheck']],
  ['lint + format', 'npm', ['run', '-s', 'lint']],
  ['unit tests', 'npm', ['run', '-s', 'test:unit']],
  ['copy onnxruntime-web', 'node', ['scripts/copyOrt.mjs']],
  ['build app', 'npx', ['vite', 'build', '--logLevel', 'warn']],
  ['e2e tests', 'npm', ['run', '-s', 'test:e2e']],
];

rmSync('test-results', { recursive: true, force: true });
const failedStages = [];
for (const [label, cmd, args] of stages) {
  console.log(`\n=== ${label} ===`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) failedStages.push(label);
  // A broken build leaves nothing for e2e to run against.
  if (r.status !== 0 && label === 'build app') break;
}

function counts(file, pick) {
  if (!existsSync(file)) return { passed: 0, failed: 0, skipped: 0 };
  return pick(JSON.parse(readFileSync(file, 'utf8')));
}
const unit = counts('test-results/unit.json', (j) => ({
  passed: j.numPassedTests,
  failed: j.numFailedTests,
  skipped: j.numPendingTests + j.numTodoTests,
}));
const e2e = counts('test-results/e2e.json', (j) => ({
  passed: j.stats.expected + j.stats.flaky,
  failed: j.stats.unexpected,
  skipped: j.stats.skipped,
}));
// A stage that failed without a test failing (type errors, lint) still counts as one failure.
const stageOnly = failedStages.filter((s) => !s.endsWith('tests')).length;
const passed = unit.passed + e2e.passed;
const failed = unit.failed + e2e.failed + stageOnly;
const skipped = unit.skipped + e2e.skipped;
if (failedStages.length) console.log(`\nfailed stages: ${failedStages.join(', ')}`);
console.log(
  `unit: ${unit.passed} passed, ${unit.failed} failed; e2e: ${e2e.passed} passed, ${e2e.failed} failed`,
);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failedStages.length ? 1 : 0);
