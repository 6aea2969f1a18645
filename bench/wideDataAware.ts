// `npm run bench:wide-data [-- --sizes 256,512] [--peer uncapped|capped] [--extra 4:4:50,...]`:
// data-aware QAF (the input-weighted objective, weightedAdmm.ts) on wide layers, one thread:
// seeded synthetic 3x3 convs with C_in = C_out = C (syntheticWeights.ts) and seeded synthetic
// input statistics (syntheticMoments.ts), rate 2, 4 bits, per-component scales
// (DEFAULT_QAF_SCALES), each run as methods/qaf.ts runs a wide data-aware job (the job the
// pipeline builds, its weights from momentWeights, the preset's float start from the randomized
// start, then admmWeightedCp), once per setting of the ADMM's limits (outer steps, polish rounds,
// projection candidates) and of its wide start (ALS start sweeps s, row-by-row Sylvester solves
// up to r rows: admm.ts wideWeightedStartSweeps, wideWeightedRowSolves):
//   uncapped: the preset's 60, 5 and 200 with the old start (5 sweeps, no row solves), what the
//             weighted path ran before it took the wide caps (the default peer);
//   published caps: the published path's wide per-component limits, old start;
//   capped (--peer capped, instead of the two above): e01308f's caps with the old start;
//   default: what the code now runs (weightedAdmm.ts wideWeightedParams and the wide start);
//   --extra outer:polish:candidates[:startSweeps[:rowSolveRows]] adds others (default 5 and 0).
// Every setting passes its limits explicitly, so the numbers do not depend on the code's default.
// The settings rotate which runs first from size to size, so drift of this shared machine hits
// them alike. Seconds are wall clock around the layer's solve (float start and ADMM), next to
// this process's CPU seconds; the ADMM's are split by the outer steps' timestamps into the start
// (weighted problem and ALS start sweeps), seconds per outer step and the polish. Prints a
// table, then one JSON line.
import { loadavg } from 'node:os';
import { ADMM_PRESETS, type AdmmParams } from '../src/core/factor/admm.ts';
import { jobObjective, type ModeWeights, momentWeights } from '../src/core/factor/inputMoments.ts';
import { floatCpOfJob } from '../src/core/factor/methods/floatCp.ts';
import { type CompressJob, DEFAULT_QAF_SCALES } from '../src/core/factor/types.ts';
import { admmWeightedCp, wideWeightedParams } from '../src/core/factor/weightedAdmm.ts';
import { type Kernels, loadKernels } from '../src/core/kernels/index.ts';
import { cpDims, resolveRank } from '../src/core/util/rank.ts';
import { formatTable } from '../src/core/util/textFormat.ts';
import { cpuSeconds, ensureWasmBuilt, kernelsNote, listArg } from './qafPaths.ts';
import { syntheticConvMoments } from './syntheticMoments.ts';
import { syntheticConv } from './syntheticWeights.ts';

const rate = 2;
const bits = 4;
const preset = ADMM_PRESETS.default;

interface Setting {
  name: string;
  limits: {
    maxOuter: number;
    polishRounds: number;
    candidates: number;
    /** Weighted ALS start sweeps (wideWeightedStartSweeps; the peers run the old default 5). */
    wideWeightedStartSweeps: number;
    /** Row-by-row Sylvester solves up to this many rows (wideWeightedRowSolves; peers 0). */
    wideWeightedRowSolves: number;
  };
}

// The start as it was before the wide start fields (5 sweeps, every Gram eigendecomposed).
const OLD_START = { wideWeightedStartSweeps: 5, wideWeightedRowSolves: 0 };
const UNCAPPED = setting('uncapped', { ...preset, ...OLD_START });
const PUBLISHED_CAPS = setting('published caps', {
  maxOuter: preset.wideComponentOuter,
  polishRounds: preset.wideComponentPolish,
  candidates: preset.wideComponentCandidates,
  ...OLD_START,
});
// The caps of e01308f with the old start: the peer of `--peer capped`.
const CAPPED = setting('capped', {
  ...wideWeightedParams(preset, preset.wideFromRank, true),
  ...OLD_START,
});
const DEFAULT = setting('default', {
  ...wideWeightedParams(preset, preset.wideFromRank, true),
  wideWeightedStartSweeps: preset.wideWeightedStartSweeps || 5,
});

function setting(name: string, p: Setting['limits']): Setting {
  const { maxOuter, polishRounds, candidates, wideWeightedStartSweeps, wideWeightedRowSolves } = p;
  return {
    name: `${name} (o${maxOuter} p${polishRounds} c${candidates} s${wideWeightedStartSweeps} r${wideWeightedRowSolves})`,
    limits: { maxOuter, polishRounds, candidates, wideWeightedStartSweeps, wideWeightedRowSolves },
  };
}

function extraSetting(spec: string): Setting {
  const [maxOuter, polishRounds, candidates, sweeps = 5, rowSolves = 0] = spec
    .split(':')
    .map(Number);
  const all = [maxOuter, polishRounds, candidates, sweeps, rowSolves];
  if (!all.every((v) => Number.isInteger(v) && v >= 0) || !maxOuter || !sweeps)
    throw new Error(`--extra: not outer:polish:candidates[:startSweeps[:rowSolveRows]]: ${spec}`);
  return setting('extra', {
    maxOuter,
    polishRounds,
    candidates,
    wideWeightedStartSweeps: sweeps,
    wideWeightedRowSolves: rowSolves,
  });
}

function sameLimits(a: Setting, b: Setting): boolean {
  const [x, y] = [a.limits, b.limits];
  return (Object.keys(x) as (keyof Setting['limits'])[]).every((k) => x[k] === y[k]);
}

function convJob(kernels: Kernels, c: number): CompressJob {
  return {
    name: `conv 3x3 C=${c}`,
    weight: syntheticConv(kernels, c, c, 3, 1000 + c),
    shape: [c, c, 3, 3],
    method: 'admm',
    rate,
    bits,
    preset: 'default',
    seed: 0,
    inputMoments: syntheticConvMoments(kernels, c, 3, 2000 + c),
  };
}

/** The weights methods/qaf.ts would solve with (it falls back to the published objective when none). */
function jobWeights(job: CompressJob): ModeWeights {
  if (jobObjective(job) !== 'data') throw new Error(`${job.name}: not a data-aware job`);
  const check = momentWeights(job.inputMoments, job.shape);
  if (!('weights' in check)) throw new Error(`${job.name}: ${check.reason}`);
  return check.weights;
}

interface Run {
  seconds: number;
  cpuSeconds: number;
  /** The float CP start (floatCpOfJob). */
  initSeconds: number;
  /** admmWeightedCp, split below from the outer steps' timestamps. */
  admmSeconds: number;
  /** Before the first outer step: the weighted problem and the weighted ALS start sweeps. */
  startSeconds: number;
  /** Mean seconds of an outer step after the first (the first's is taken as the same). */
  outerStepSeconds: number;
  /** After the last outer step: the polish rounds and the final errors. */
  polishSeconds: number;
  outerSteps: number;
  weightedError: number;
  error: number;
  floatError: number;
}

function solve(kernels: Kernels, job: CompressJob, weights: ModeWeights, setting: Setting): Run {
  // wideComponentOuter 0 keeps admmWeightedCp from applying caps of its own (the limits are the
  // setting's) while the wide start fields still apply from wideFromRank.
  const params: Partial<AdmmParams> = { ...setting.limits, wideComponentOuter: 0 };
  const wall = performance.now();
  const cpu = cpuSeconds();
  const { dims, rank, float } = floatCpOfJob(
    kernels,
    job,
    { report: () => {} },
    preset.cpIterations,
    0,
    'randomized',
  );
  const admmWall = performance.now();
  const steps: number[] = [];
  const q = admmWeightedCp(kernels, job.weight, dims, float.factors, rank, bits, weights, {
    preset: 'default',
    scales: job.scales ?? DEFAULT_QAF_SCALES,
    params,
    onOuterStep: (t, e) => {
      steps.push(performance.now());
      console.error(
        `  ${job.name} ${setting.name}: outer step ${t}, estimate ${e.toFixed(4)}, ${((performance.now() - wall) / 1000).toFixed(1)} s`,
      );
    },
  });
  const end = performance.now();
  const stepMs = steps.length > 1 ? (steps[steps.length - 1] - steps[0]) / (steps.length - 1) : 0;
  return {
    seconds: (end - wall) / 1000,
    cpuSeconds: cpuSeconds() - cpu,
    initSeconds: (admmWall - wall) / 1000,
    admmSeconds: (end - admmWall) / 1000,
    startSeconds: (steps[0] - admmWall - stepMs) / 1000,
    outerStepSeconds: stepMs / 1000,
    polishSeconds: (end - steps[steps.length - 1]) / 1000,
    outerSteps: q.iterations,
    weightedError: q.weightedError,
    error: q.error,
    floatError: float.error,
  };
}

ensureWasmBuilt();
const kernels = await loadKernels();
if (kernelsNote(kernels.name)) console.log(kernelsNote(kernels.name));
const argv = process.argv.slice(2);
const sizes = listArg(argv, 'sizes', '256,512').map((s) => {
  const c = Number(s);
  if (!Number.isInteger(c) || c < 1) throw new Error(`--sizes: not a size: ${s}`);
  return c;
});
// --peer capped: e01308f's caps with the old start as the peer, without the slower settings.
const peerName = listArg(argv, 'peer', 'uncapped')[0];
if (peerName !== 'uncapped' && peerName !== 'capped') throw new Error('--peer: uncapped or capped');
const PEER = peerName === 'capped' ? CAPPED : UNCAPPED;
const settings = [
  ...(PEER === UNCAPPED ? [UNCAPPED, PUBLISHED_CAPS] : [CAPPED]),
  DEFAULT,
  ...listArg(argv, 'extra', '').map(extraSetting),
]
  // The default may equal another setting (then it runs once, under the first name).
  .filter((s, i, all) => all.findIndex((t) => sameLimits(t, s)) === i);
const load0 = loadavg()[0];

// Warm-up, not reported: V8 first runs wasm and hot JavaScript unoptimised.
const warm = convJob(kernels, 48);
for (const s of settings) solve(kernels, warm, jobWeights(warm), s);

const cases: { size: number; rank: number; runs: Record<string, Run> }[] = [];
const rows: string[][] = [];
const f2 = (x: number) => x.toFixed(2);
const f4 = (x: number) => x.toFixed(4);
for (const [i, c] of sizes.entries()) {
  const job = convJob(kernels, c);
  const weights = jobWeights(job);
  const order = settings.map((_, k) => settings[(k + i) % settings.length]);
  const runs: Record<string, Run> = {};
  for (const s of order) runs[s.name] = solve(kernels, job, weights, s);
  const rank = resolveRank(cpDims(job.shape), job.rank, job.rate);
  const peer = runs[PEER.name];
  for (const s of settings) {
    const r = runs[s.name];
    rows.push([
      String(c),
      String(rank),
      s.name,
      `${order.indexOf(s) + 1}`,
      f2(r.seconds),
      f2(r.cpuSeconds),
      f2(r.initSeconds),
      f2(r.admmSeconds),
      f2(r.startSeconds),
      f2(r.outerStepSeconds),
      f2(r.polishSeconds),
      String(r.outerSteps),
      f4(r.weightedError),
      `${(100 * (r.weightedError / peer.weightedError - 1)).toFixed(2)} %`,
      f4(r.error),
      `${(peer.seconds / r.seconds).toFixed(2)}x`,
    ]);
  }
  cases.push({ size: c, rank, runs });
}

console.log(
  `\nData-aware QAF on wide 3x3 convs (C_in = C_out = C), rate ${rate}, ${bits} bits, ` +
    `${DEFAULT_QAF_SCALES} scales, kernels ${kernels.name}, one thread, wall seconds, ` +
    `load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`,
);
console.log(
  formatTable(
    [
      'C',
      'rank',
      'setting',
      'order',
      'seconds',
      'CPU s',
      'init s',
      'ADMM s',
      'start s',
      's/step',
      'polish s',
      'outer',
      'weighted err',
      'vs peer',
      'plain err',
      'speed-up',
    ],
    rows,
    new Set([0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
  ),
);
console.log(
  JSON.stringify({
    bench: 'wideDataAware',
    rate,
    bits,
    scales: DEFAULT_QAF_SCALES,
    kernels: kernels.name,
    peer: PEER.name,
    settings: Object.fromEntries(settings.map((s) => [s.name, s.limits])),
    load: [load0, loadavg()[0]],
    cases,
  }),
);
