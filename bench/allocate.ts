// `npm run bench:allocate`: per-layer allocation (issue #15) against the uniform allocation, in
// the same run, on ResNet-20 / CIFAR-10 calibrated as the app ships it (256 images of
// cifar10_train_5k.bin, calibration after compression on), evaluated on the full test set.
//   1. sensitivity of the 18 block 3x3 convs to every option of the default menu (QAF rates
//      1.5/2/3/4 x bits 3/4/5/6/8, PTQ at those bits, keep), on the same 256 images;
//   2. the uniform curves: QAF w4 at rates 4/3/2/1.5 and PTQ (per tensor) at 3/4 bits;
//   3. the allocated model at a BOP budget equal to each uniform point's BOP %;
//   4. the solver on synthetic 50-layer x 20-option problems.
// Flags: --images=N (class-balanced test subset, for development), --model=resnet56,
// --budgets=6.75,8.9 (BOP % instead of the uniform points'), --sens-images=N, --no-cache,
// --objective=kl (default scoreError), --rates=1.5,2 --bits=3,4 --ptq-bits=4 (the menu),
// --scales=factor|component and --qaf-objective=published|data (QAF's settings of the builds and
// so of the sensitivity pass; default: the pipeline's, data-aware on the calibration images).
// Every option is measured with the settings the builds use: the same objective, scales and
// calibration images (QAF's input statistics), so the pass and the builds share factorizations.
// --refine[=label,label]: the second-order step at every budget (or the named uniform points'):
// the allocated model is measured with each compressed layer left out in turn, each layer's
// sensitivities are scaled by its share of the whole model's score error in that context over
// its share alone, and the budget is solved again ("allocated, refined" rows).
// --cache=FILE (default .qaf-cache/bench-allocate-sensitivity.json).
// One thread: on ResNet-56 the probes (each option's suffix run on the images) are the cost, and
// neither factorizing on the CLI's 2-thread pool meanwhile (266 s for 2 layers, as on one thread)
// nor 2 onnxruntime threads (388 s) helped on the loaded 2-core VM; `qaf sensitivity --threads`
// has the pool.
// --act-bits=8: the allocated models run with 8-bit activations (the app's "8-bit activations"),
// and the table's costs count them; the uniform points are measured both ways: as the issue's
// baseline (float activations, the app's default), whose BOP % are the budgets, and at a8 (the
// peer with the same activations, at its own BOPs). The probes keep activations float.
// --layers=N: only the first N layers of the table (to time a pass on a big model: the JSON
// line's perOptionSeconds x all options estimates the whole pass). --sensitivity-only stops after
// the pass with that estimate.
// Prints a table, then one JSON line. Sensitivity measurements are cached in .qaf-cache/.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  allocateForBudget,
  type BudgetAllocation,
  cachedFactorizer,
  DEFAULT_MENU,
  measureSensitivity,
  type Objective,
  type OptionSensitivity,
  type SensitivityCache,
  type SensitivityTable,
  solveMultipleChoice,
  uniformBopPercent,
} from '../src/core/allocate/index.ts';
import { type ReferenceScores, referenceScores } from '../src/core/allocate/layerProbe.ts';
import { makeCalibrationBatches } from '../src/core/calibrate/batches.ts';
import type { ChannelStats } from '../src/core/calibrate/channelStats.ts';
import { APP_CALIBRATION_IMAGES } from '../src/core/calibrate/defaults.ts';
import { parseCifar10 } from '../src/core/data/cifar10.ts';
import { subsetIndices } from '../src/core/data/subset.ts';
import { evaluateModel } from '../src/core/eval/evaluate.ts';
import { createSession, runScores } from '../src/core/eval/session.ts';
import { type Allocation, selectLayers } from '../src/core/factor/modelJobs.ts';
import type { QafObjective, QafScales } from '../src/core/factor/types.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { compressModel } from '../src/core/pipeline/compressModel.ts';
import { prepareModel } from '../src/core/pipeline/prepare.ts';
import { LayerFactorCache } from '../src/core/sweep/layerCache.ts';
import { formatTable } from '../src/core/util/textFormat.ts';

const shared = process.env.QAF_SHARED_DIR ?? join(import.meta.dirname, '../../shared');
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const modelName = flag('model') ?? 'resnet20';
const objective = (flag('objective') ?? 'scoreError') as Objective;
const numbers = (name: string) => flag(name)?.split(',').filter(Boolean).map(Number);
const menu = {
  rates: numbers('rates') ?? DEFAULT_MENU.rates,
  bits: numbers('bits') ?? DEFAULT_MENU.bits,
  ptqBits: numbers('ptq-bits') ?? DEFAULT_MENU.ptqBits,
};
const scales = flag('scales') as QafScales | undefined;
const qafObjective = flag('qaf-objective') as QafObjective | undefined;
if (scales && scales !== 'factor' && scales !== 'component')
  throw new Error('--scales=factor|component');
if (qafObjective && qafObjective !== 'published' && qafObjective !== 'data') {
  throw new Error('--qaf-objective=published|data');
}
/** QAF's settings every build of this run adds to its allocation (empty: the defaults). */
const qafSettings = {
  ...(scales && { scales }),
  ...(qafObjective && { objective: qafObjective }),
};
const read = (p: string) => new Uint8Array(readFileSync(join(shared, p)));
const testBytes = read('data/cifar10_test_batch.bin');
const test = parseCifar10(testBytes);
const train = parseCifar10(read('data/cifar10_train_5k.bin'));
const images = Number(flag('images') ?? test.count);
const indices = images < test.count ? subsetIndices(test, 'quick', images) : undefined;

const prepared = await prepareModel(read(`models/${modelName}_cifar10.onnx`));
const kernels = await loadKernels();
const factorCache = new LayerFactorCache(kernels);
const onlyLayers = flag('layers') ? Number(flag('layers')) : undefined;
const actBits = Number(flag('act-bits') ?? 32);
if (actBits !== 32 && actBits !== 8) throw new Error('--act-bits=8|32');
const batches = makeCalibrationBatches(prepared.model, train, { images: APP_CALIBRATION_IMAGES });
const sensBatches = flag('sens-images')
  ? makeCalibrationBatches(prepared.model, train, { images: Number(flag('sens-images')) })
  : batches;
const log = (s: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

/** The bench's cache: one JSON file, so a re-run measures only what is new. */
class FileCache implements SensitivityCache {
  private entries: Record<string, OptionSensitivity> = {};
  constructor(private readonly file: string) {
    try {
      this.entries = JSON.parse(readFileSync(file, 'utf8')).entries ?? {};
    } catch {
      // Missing: start empty.
    }
  }
  async get(key: string) {
    return this.entries[key];
  }
  async set(key: string, value: OptionSensitivity) {
    this.entries[key] = value;
    writeFileSync(`${this.file}.tmp`, JSON.stringify({ entries: this.entries }));
    renameSync(`${this.file}.tmp`, this.file);
  }
}

// 1. Sensitivity.
mkdirSync('.qaf-cache', { recursive: true });
const cpuAtStart = process.cpuUsage();
let lastLog = 0;
const table: SensitivityTable = await measureSensitivity({
  prepared,
  kernels,
  batches: sensBatches,
  calibrationBatches: batches,
  qaf: qafSettings,
  menu,
  actBits,
  factorCache,
  ...(onlyLayers && {
    selection: {
      names: selectLayers(prepared.layers, 'admm', { spatialOnly: true })
        .slice(0, onlyLayers)
        .map((l) => l.name),
    },
  }),
  cache: process.argv.includes('--no-cache')
    ? undefined
    : new FileCache(flag('cache') ?? '.qaf-cache/bench-allocate-sensitivity.json'),
  onProgress: (e) => {
    if (performance.now() - lastLog < 30_000 && e.progress < 1) return;
    lastLog = performance.now();
    const eta = e.etaMs === null ? '' : `, ${Math.ceil(e.etaMs / 60_000)} min left`;
    log(`sensitivity ${e.loaded}/${e.total} ${e.layer} ${e.option}${eta}`);
  },
});
log(
  `sensitivity: ${table.measured} measured, ${table.cached} cached, ${table.seconds.toFixed(0)} s`,
);
if (process.argv.includes('--sensitivity-only')) {
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // The pass's own selection (the k x k convs QAF applies to).
  const all = selectLayers(prepared.layers, 'admm', { spatialOnly: true }).length;
  const optionsPerLayer = table.layers[0]?.options.length ?? 0;
  const perOption = table.measured > 0 ? table.seconds / table.measured : Number.NaN;
  const estimate = perOption * all * optionsPerLayer;
  console.log(
    formatTable(
      ['model', 'layers', 'options', 'wall s', 'CPU s', 's / option', 'all layers, est. min'],
      [
        [
          modelName,
          String(table.layers.length),
          String(table.measured),
          table.seconds.toFixed(0),
          cpuSeconds.toFixed(0),
          perOption.toFixed(2),
          (estimate / 60).toFixed(0),
        ],
      ],
      new Set([1, 2, 3, 4, 5, 6]),
    ),
  );
  console.log(
    JSON.stringify({
      model: modelName,
      layers: table.layers.length,
      allLayers: all,
      measured: table.measured,
      seconds: table.seconds,
      cpuSeconds,
      perOptionSeconds: perOption,
      estimateAllSeconds: estimate,
      sensImages: table.images,
      load: loadavg()[0],
    }),
  );
  process.exit(0);
}

// 2-3. Models: uniform points and the allocation at each one's BOP %.
const layerNames = table.layers.map((l) => l.name);
const uniformPoints = [
  { label: 'QAF r4 w4', id: 'admm-r4-w4', settings: { method: 'admm', rate: 4, bits: 4 } },
  { label: 'QAF r3 w4', id: 'admm-r3-w4', settings: { method: 'admm', rate: 3, bits: 4 } },
  { label: 'QAF r2 w4', id: 'admm-r2-w4', settings: { method: 'admm', rate: 2, bits: 4 } },
  { label: 'QAF r1.5 w4', id: 'admm-r1.5-w4', settings: { method: 'admm', rate: 1.5, bits: 4 } },
  { label: 'PTQ w3', id: 'ptq-w3', settings: { method: 'ptq', bits: 3 } },
  { label: 'PTQ w4', id: 'ptq-w4', settings: { method: 'ptq', bits: 4 } },
] as const;

for (const p of uniformPoints) {
  if (!table.layers.every((l) => l.options.some((o) => o.id === p.id))) {
    throw new Error(`bench: the menu must include ${p.id} (a uniform point)`);
  }
}

let referenceStats: Map<string, ChannelStats> | undefined;
const float = await evaluateModel({
  modelBytes: prepared.bytes,
  dataset: test,
  indices,
  latencyRuns: 0,
});
log(`float: ${(100 * (float.accuracy ?? 0)).toFixed(2)} %`);

async function build(allocation: Allocation, bits = actBits) {
  const built = await compressModel({
    prepared,
    kernels,
    allocation: { ...allocation, settings: { ...allocation.settings, ...qafSettings } },
    output: { actBits: bits },
    factorize: cachedFactorizer(factorCache),
    calibration: { batches, referenceStats },
    check: false,
  });
  referenceStats ??= built.referenceStats ?? undefined;
  return built;
}

async function measure(allocation: Allocation, bits = actBits) {
  return evaluate(await build(allocation, bits));
}

async function evaluate(built: Awaited<ReturnType<typeof build>>) {
  const report = await evaluateModel({
    modelBytes: built.bytes,
    dataset: test,
    indices,
    latencyRuns: 0,
  });
  let same = 0;
  report.predictions.forEach((p, i) => {
    if (p === float.predictions[i]) same++;
  });
  return {
    accuracy: report.accuracy ?? Number.NaN,
    agreement: same / report.predictions.length,
    bopPercent: built.report.totals.bopPercent,
    sizeBytes: built.bytes.length,
    idealWeightBytes: built.report.totals.idealWeightBytes,
  };
}

let sensReference: ReferenceScores | undefined;
/** ||Z - Z_ref||_F / ||Z_ref||_F of a model's scores on the sensitivity images (the table's). */
async function scoreErrorOf(bytes: Uint8Array): Promise<number> {
  sensReference ??= await referenceScores(prepared.bytes, sensBatches);
  const session = await createSession(bytes);
  try {
    let error = 0;
    let norm = 0;
    for (const [b, batch] of sensBatches.entries()) {
      const { scores } = await runScores(session, batch.data, batch.dims);
      const z = sensReference.scores[b];
      for (let i = 0; i < z.length; i++) {
        error += (scores[i] - z[i]) ** 2;
        norm += z[i] ** 2;
      }
    }
    return Math.sqrt(error / norm);
  } finally {
    await session.release();
  }
}

/**
 * The second-order step: the allocated model's squared score error E^2 against the same model
 * with layer l written as not compressed, E_l^2; their difference is l's share in the context of
 * the others. Each layer's options are scaled by that share over its share alone (clamped to
 * 0.1..10), and the budget is solved again. Calibration and factors are the builds' own.
 */
async function refineAllocation(
  built: Awaited<ReturnType<typeof build>>,
  solved: BudgetAllocation,
  budgetPercent: number,
) {
  const total = (await scoreErrorOf(built.bytes)) ** 2;
  const factors = new Map<string, number>();
  for (const result of built.results) {
    const choice = solved.choices.find((c) => c.layer === result.name);
    if (!choice || choice.option.option === 'keep') continue;
    const without = await compressModel({
      prepared,
      kernels,
      results: built.results.filter((r) => r !== result),
      calibration: { batches, referenceStats },
      check: false,
    });
    const share = total - (await scoreErrorOf(without.bytes)) ** 2;
    const alone = Math.max(choice.option.scoreError ** 2, 1e-12);
    factors.set(result.name, Math.min(10, Math.max(0.1, share / alone)));
  }
  const corrected: SensitivityTable = {
    ...table,
    layers: table.layers.map((l) => {
      const c = factors.get(l.name) ?? 1;
      return {
        ...l,
        options: l.options.map((o) =>
          o.option === 'keep' ? o : { ...o, scoreError: o.scoreError * Math.sqrt(c) },
        ),
      };
    }),
  };
  const again = allocateForBudget(
    corrected,
    { kind: 'bops', percent: budgetPercent },
    { objective },
  );
  return { solved: again, factors: Object.fromEntries(factors), total };
}

const started = performance.now();
type Row = {
  kind: 'uniform' | 'allocated' | 'refined';
  label: string;
  budgetPercent: number;
  predictedKl: number;
  options: Record<string, number>;
  solverMs: number | null;
} & Awaited<ReturnType<typeof measure>>;
const rows: Row[] = [];
const budgets = flag('budgets')?.split(',').map(Number);
const optionCounts = (ids: string[]) =>
  ids.reduce<Record<string, number>>((m, id) => {
    m[id] = (m[id] ?? 0) + 1;
    return m;
  }, {});

for (const point of uniformPoints) {
  const allocation: Allocation = {
    settings: { ...point.settings, preset: 'default', seed: 0 },
    selection: { names: layerNames },
  };
  const kl = table.layers.reduce((s, l) => s + l.options.find((o) => o.id === point.id)!.kl, 0);
  // With --act-bits=8 the issue's baseline (float activations) first: its BOP % is the budget.
  for (const bits of actBits === 32 ? [32] : [32, actBits]) {
    const m = await measure(allocation, bits);
    const label = bits === 32 ? point.label : `${point.label} a${bits}`;
    rows.push({
      kind: 'uniform',
      label,
      budgetPercent: bits === actBits ? uniformBopPercent(table, point.id)! : m.bopPercent,
      predictedKl: kl,
      options: { [point.id]: layerNames.length },
      solverMs: null,
      ...m,
    });
    log(`${label}: ${(100 * m.accuracy).toFixed(2)} % at ${m.bopPercent.toFixed(3)} % BOPs`);
  }
}
const baselineRows = rows.filter((r) => !/ a\d+$/.test(r.label));
const budgetList = budgets ?? baselineRows.map((r) => r.budgetPercent);
const refineArg = process.argv.find((a) => a === '--refine' || a.startsWith('--refine='));
const refineOnly = flag('refine')?.split(',');
if (refineArg && objective !== 'scoreError')
  throw new Error('--refine needs --objective=scoreError');
const refinedRows: Row[] = [];
for (const [i, budgetPercent] of budgetList.entries()) {
  const solved = allocateForBudget(table, { kind: 'bops', percent: budgetPercent }, { objective });
  const built = await build(solved.allocation);
  const m = await evaluate(built);
  const label = budgets ? `allocated @ ${budgetPercent} %` : `allocated @ ${baselineRows[i].label}`;
  const point = budgets ? String(budgetPercent) : baselineRows[i].label;
  if (refineArg && (!refineOnly || refineOnly.includes(point))) {
    const r = await refineAllocation(built, solved, budgetPercent);
    const mr = await measure(r.solved.allocation);
    refinedRows.push({
      kind: 'refined',
      label: `refined @ ${point}`,
      budgetPercent,
      predictedKl: r.solved.predicted.kl,
      options: optionCounts(r.solved.choices.map((c) => c.option.id)),
      solverMs: r.solved.solver.ms,
      ...mr,
    });
    const range = Object.values(r.factors);
    log(
      `refined @ ${point}: ${(100 * mr.accuracy).toFixed(2)} % at ${mr.bopPercent.toFixed(3)} % BOPs ` +
        `(in-context factors ${Math.min(...range).toFixed(2)}..${Math.max(...range).toFixed(2)})`,
    );
  }
  rows.push({
    kind: 'allocated',
    label,
    budgetPercent,
    predictedKl: solved.predicted.kl,
    options: optionCounts(solved.choices.map((c) => c.option.id)),
    solverMs: solved.solver.ms,
    ...m,
  });
  log(`${label}: ${(100 * m.accuracy).toFixed(2)} % at ${m.bopPercent.toFixed(3)} % BOPs`);
}
rows.push(...refinedRows);
const modelsSeconds = (performance.now() - started) / 1000;

// 4. The solver on synthetic problems: 50 layers x 20 options, noisy convex sensitivities.
function synthetic(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const groups = Array.from({ length: 50 }, () => {
    const size = 1 + 9 * next();
    const scale = next();
    return Array.from({ length: 20 }, (_, k) => ({
      cost: size * (0.1 + 0.2 * k) * (1 + 0.1 * next()),
      value: scale * Math.exp(-0.3 * k) * (1 + 0.3 * next()),
    }));
  });
  const min = groups.reduce((t, g) => t + Math.min(...g.map((x) => x.cost)), 0);
  const max = groups.reduce((t, g) => t + Math.max(...g.map((x) => x.cost)), 0);
  return { groups, budget: min + (0.05 + 0.9 * next()) * (max - min) };
}
const solverMs: number[] = [];
let solverExact = 0;
let solverNodesMax = 0;
for (let seed = 1; seed <= 40; seed++) {
  const { groups, budget } = synthetic(seed);
  const t0 = performance.now();
  const solution = solveMultipleChoice(groups, budget);
  solverMs.push(performance.now() - t0);
  if (solution.exact) solverExact++;
  solverNodesMax = Math.max(solverNodesMax, solution.nodes);
}
solverMs.sort((a, b) => a - b);

// Output: the table, the headline comparisons, one JSON line.
const pct = (x: number) => (100 * x).toFixed(2);
const peerOf = (r: Row) =>
  r.kind !== 'uniform' && !budgets
    ? baselineRows.find((u) => u.budgetPercent === r.budgetPercent)
    : undefined;
console.log(
  `${modelName} / CIFAR-10, ${table.layers.length} layers allocated; ${test.count === images ? 'full test set' : `${images}-image class-balanced subset`}` +
    ` (${float.images} images), float ${pct(float.accuracy ?? 0)} %; calibrated on ${APP_CALIBRATION_IMAGES} training images; ` +
    `sensitivity on ${table.images} images: ${table.measured} options measured (${table.cached} cached) in ${table.seconds.toFixed(0)} s; ` +
    `models ${modelsSeconds.toFixed(0)} s; objective ${objective}; QAF ${table.objective} objective, ${table.scales} scales; ` +
    `load ${loadavg()[0].toFixed(1)}`,
);
console.log(
  formatTable(
    [
      'point',
      'budget BOP %',
      'BOP %',
      'ideal bytes',
      'file bytes',
      'sum KL',
      'agree %',
      'top-1 %',
      'vs uniform',
      'options',
    ],
    rows.map((r) => {
      const peer = peerOf(r);
      return [
        r.label,
        r.budgetPercent.toFixed(3),
        r.bopPercent.toFixed(3),
        r.idealWeightBytes.toFixed(0),
        String(r.sizeBytes),
        r.predictedKl.toFixed(4),
        pct(r.agreement),
        pct(r.accuracy),
        peer
          ? `${r.accuracy - peer.accuracy >= 0 ? '+' : ''}${pct(r.accuracy - peer.accuracy)}`
          : '',
        Object.entries(r.options)
          .map(([id, n]) => `${id} x${n}`)
          .join(', '),
      ];
    }),
    new Set([1, 2, 3, 4, 5, 6, 7, 8]),
  ),
);
const headline = (label: string, target: number) => {
  const uniform = rows.find((r) => r.kind === 'uniform' && r.label === label);
  const allocated = rows.find((r) => r.kind === 'allocated' && r.label === `allocated @ ${label}`);
  const refined = rows.find((r) => r.kind === 'refined' && r.label === `refined @ ${label}`);
  if (!uniform || !allocated) return null;
  const delta = allocated.accuracy - uniform.accuracy;
  // With --act-bits: the same uniform point with the allocation's activations (fewer BOPs).
  const sameActs = rows.find((r) => r.kind === 'uniform' && r.label === `${label} a${actBits}`);
  return {
    uniform: uniform.accuracy,
    allocated: allocated.accuracy,
    ...(sameActs && {
      uniformSameActivations: { accuracy: sameActs.accuracy, bopPercent: sameActs.bopPercent },
    }),
    ...(refined && {
      refined: refined.accuracy,
      refinedDelta: refined.accuracy - uniform.accuracy,
    }),
    bopPercent: uniform.bopPercent,
    delta,
    target: target / 100,
    passed: delta >= target / 100,
  };
};
const atR2 = headline('QAF r2 w4', 1.5);
const atR15 = headline('QAF r1.5 w4', 1.0);
for (const [name, h] of [
  ['r2 w4', atR2],
  ['r1.5 w4', atR15],
] as const) {
  if (h) {
    console.log(
      `at uniform ${name}'s ${h.bopPercent.toFixed(3)} % BOPs: allocated ${pct(h.allocated)} % vs uniform ${pct(h.uniform)} % ` +
        `(${h.delta >= 0 ? '+' : ''}${pct(h.delta)} points, target +${pct(h.target)}): ${h.passed ? 'PASS' : 'FAIL'}`,
    );
  }
}
const median = solverMs[Math.floor(solverMs.length / 2)];
const worst = solverMs[solverMs.length - 1];
console.log(
  `solver, 50 layers x 20 options, 40 synthetic budgets: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms ` +
    `(required < 1000), ${solverExact}/40 exact, at most ${solverNodesMax} nodes`,
);
console.log(
  JSON.stringify({
    model: modelName,
    objective,
    actBits,
    qaf: { objective: table.objective, scales: table.scales },
    images: float.images,
    calibrationImages: APP_CALIBRATION_IMAGES,
    float: float.accuracy,
    sensitivity: {
      menu,
      images: table.images,
      layers: table.layers.length,
      measured: table.measured,
      cached: table.cached,
      seconds: table.seconds,
    },
    rows,
    headline: { r2w4: atR2, r15w4: atR15 },
    solver: {
      layers: 50,
      options: 20,
      instances: 40,
      medianMs: median,
      worstMs: worst,
      exact: solverExact,
      maxNodes: solverNodesMax,
    },
    seconds: modelsSeconds,
    load: loadavg()[0],
  }),
);
