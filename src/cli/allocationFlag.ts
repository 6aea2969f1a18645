// `qaf compress --allocation FILE` and `--budget B`: the per-layer settings `qaf allocate` wrote,
// or that the budget solver chooses on the spot, read and checked against the model before any
// compression work (a layer the model lacks, an option a layer cannot take, or a file made for
// another model fails here, naming the layer or both models).
import { basename } from 'node:path';
import {
  AllocationError,
  allocateForBudget,
  type Budget,
  BudgetError,
  DEFAULT_MENU,
  measureSensitivity,
  type Objective,
  parseAllocationFile,
  parseBudgets,
  parseSensitivityTable,
  type SensitivityTable,
  validateAllocation,
} from '../core/allocate/index.ts';
import { APP_CALIBRATION_IMAGES } from '../core/calibrate/defaults.ts';
import { collectInputMoments } from '../core/calibrate/inputMoments.ts';
import type { CalibrationBatch } from '../core/calibrate/outputStats.ts';
import type { InputMoments } from '../core/factor/inputMoments.ts';
import { type Allocation, selectLayers } from '../core/factor/modelJobs.ts';
import type { CompressJob, LayerResult } from '../core/factor/types.ts';
import type { Kernels } from '../core/kernels/types.ts';
import type { PreparedModel } from '../core/pipeline/prepare.ts';
import type { WeightForm } from '../core/rewrite/weightForm.ts';
import { sha256Hex } from '../core/sweep/configKey.ts';
import { LayerFactorCache } from '../core/sweep/layerCache.ts';
import { parseCalibrationArgs, parseDataLimits } from './data.ts';
import { calibrationBatchesFromFile } from './inputArrays.ts';
import { measureBudgetLatency } from './latencyBudget.ts';
import { JsonFileSensitivityCache } from './sensitivity.ts';
import { readInputFile, UsageError } from './util.ts';

export const allocationCliOption = {
  allocation: { type: 'string' },
  budget: { type: 'string' },
  sensitivity: { type: 'string' },
  objective: { type: 'string' },
} as const;

export const allocationCliUsage = `
per-layer allocation (instead of --method, --rate, --rank, --bits, --layers, --per-channel,
--preset, --seed):
  --allocation FILE  per-layer method, rate or rank and bits from \`qaf allocate\`
  --budget B         choose them here: bops=P% (of the float model's BOPs), bops=N, size=S
                     (S in B, KB, KiB, MB, MiB; weight bytes as stored: codes in INT4/INT8
                     containers, scales) or latency=T (T in ms, s,
                     or % of the original model's time: each layer of the table is timed alone
                     in onnxruntime-web at the model's shapes, and the file is written with
                     --weight-form load unless given); a second budget of another kind
                     after a comma is met too (bops=5%,size=120KB); needs --sensitivity or
                     --calibration-data (each layer measured alone on ${APP_CALIBRATION_IMAGES} of its images
                     with the default menu: QAF rates ${DEFAULT_MENU.rates.join(',')} x bits ${DEFAULT_MENU.bits.join(',')}, PTQ bits
                     ${DEFAULT_MENU.ptqBits.join(',')}, keep; QAF solved with the statistics of the
                     --calibration-images the build calibrates on, so the build reuses the
                     measured factors; measurements cached in .qaf-cache)
  --sensitivity FILE the table \`qaf sensitivity\` wrote for this model (with --budget)
  --objective O      with --budget: score (default), kl, agreement or output (see qaf allocate)`;

/** Flags an allocation replaces; giving both is a contradiction. */
const REPLACED = [
  'method',
  'rate',
  'rank',
  'bits',
  'layers',
  'per-channel',
  'preset',
  'seed',
  // The allocation's settings carry no objective: refused rather than silently ignored.
  'qaf-objective',
  // An allocation file names its scales; a budget's are the sensitivity table's (the default).
  'scales',
];

const OBJECTIVES: Record<string, Objective> = {
  score: 'scoreError',
  kl: 'kl',
  agreement: 'agreement',
  output: 'outputError',
};

/** Where the allocation comes from, checked before the model is read; null: the plain flags. */
export type AllocationSource =
  | { kind: 'file'; path: string }
  | {
      kind: 'budget';
      budget: Budget;
      /** A second budget of another kind (`bops=5%,size=120KB`). */
      also?: Budget;
      text: string;
      objective: Objective;
      table: string | null;
    };

/** The allocation flags as a source, refusing contradictions before any file is read. */
export function allocationSource(values: Record<string, unknown>): AllocationSource | null {
  const { allocation, budget, sensitivity, objective } = values as Record<string, string>;
  if (allocation === undefined && budget === undefined) {
    const stray = sensitivity !== undefined ? 'sensitivity' : objective ? 'objective' : null;
    if (stray) throw new UsageError(`compress: --${stray} needs --budget`);
    return null;
  }
  const flag = allocation !== undefined ? 'allocation' : 'budget';
  if (allocation !== undefined && budget !== undefined) {
    throw new UsageError(
      'compress: --allocation and --budget both set the per-layer settings; give one',
    );
  }
  const clash = REPLACED.find((k) => values[k] !== undefined);
  if (clash) {
    throw new UsageError(
      `compress: --${flag} sets every layer's settings, so --${clash} cannot be given with it`,
    );
  }
  if (allocation !== undefined) {
    const stray = sensitivity !== undefined ? 'sensitivity' : objective ? 'objective' : null;
    if (stray) throw new UsageError(`compress: --${stray} goes with --budget, not --allocation`);
    return { kind: 'file', path: allocation };
  }
  let parsed: { budget: Budget; also?: Budget };
  try {
    parsed = parseBudgets(budget);
  } catch (err) {
    throw new UsageError(`compress: ${(err as Error).message}`);
  }
  const chosen = OBJECTIVES[objective ?? 'score'];
  if (!chosen) throw new UsageError('compress: --objective must be score, kl, agreement or output');
  if (sensitivity === undefined && values['calibration-data'] === undefined) {
    throw new UsageError(
      'compress: --budget needs the layers measured: --sensitivity TABLE.json (from qaf ' +
        'sensitivity) or --calibration-data FILE (images to measure them on)',
    );
  }
  return {
    kind: 'budget',
    budget: parsed.budget,
    ...(parsed.also && { also: parsed.also }),
    text: budget,
    objective: chosen,
    table: sensitivity ?? null,
  };
}

/** The allocation file as an Allocation checked against the model (and its hash, if named). */
export async function readAllocationFile(
  path: string,
  prepared: PreparedModel,
  modelPath = 'the model',
): Promise<Allocation> {
  const text = new TextDecoder().decode(readInputFile(path, 'allocation file'));
  try {
    const { allocation, model } = parseAllocationFile(text);
    if (model && model.sha256 !== (await sha256Hex(prepared.sourceBytes))) {
      const made = model.file
        ? `${model.file} (sha256 ${model.sha256.slice(0, 12)}...)`
        : `a model with sha256 ${model.sha256.slice(0, 12)}...`;
      throw new UsageError(
        `${path} was made for ${made}, not for ${basename(modelPath)}; run qaf allocate on this model`,
      );
    }
    validateAllocation(prepared.layers, allocation);
    return allocation;
  } catch (err) {
    if (err instanceof AllocationError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
}

/**
 * What a --budget pass measured with, for the build to reuse: its factorizations, and QAF's
 * input statistics from the images the build calibrates on (null: none could be taken, so the
 * pass and the build both solve the published objective).
 */
export interface BudgetReuse {
  factorCache: LayerFactorCache;
  moments: Map<string, InputMoments> | null;
  /** Factorizations the pass computed (the cache's misses when it ended). */
  passFactorizations: number;
}

/** The allocation and, when the layers were measured here, what the build can reuse. */
export interface AllocationPlan {
  allocation: Allocation;
  reuse: BudgetReuse | null;
}

/** "the build reused the sensitivity pass's factors for 2 of 2 layers (0 factorized now)". */
export function reuseSummary(reuse: BudgetReuse, layers: number): string {
  const now = reuse.factorCache.misses - reuse.passFactorizations;
  const why = now > 0 ? ': their measurements came from .qaf-cache, their factors did not' : '';
  return (
    `the build reused the sensitivity pass's factors for ${layers - now} of ${layers} layers ` +
    `(${now} factorized now${why})`
  );
}

/** The sensitivity table for --budget: the given file (for this model) or measured now. */
async function budgetTable(
  source: Extract<AllocationSource, { kind: 'budget' }>,
  prepared: PreparedModel,
  kernels: Kernels,
  values: Record<string, unknown>,
  log: ((line: string) => void) | null,
  runJob?: (job: CompressJob) => Promise<LayerResult>,
): Promise<{ table: SensitivityTable; reuse: BudgetReuse | null }> {
  if (source.table) {
    const text = new TextDecoder().decode(readInputFile(source.table, 'sensitivity table'));
    const table = parseSensitivityTable(text);
    if (table.modelSha256 !== (await sha256Hex(prepared.sourceBytes))) {
      throw new UsageError(`compress: ${source.table} was measured on another model`);
    }
    const note = statisticsNote(table, parseCalibrationArgs(values)?.images ?? null);
    if (note) log?.(note);
    return { table, reuse: null };
  }
  // --calibration-data is an -o flag: the build calibrates on these images, and QAF takes its
  // statistics from them, so the pass does too (one factorization per chosen layer).
  const calibration = parseCalibrationArgs(values)!;
  const limits = parseDataLimits(values);
  const batchesOf = (images: number) =>
    calibrationBatchesFromFile(
      calibration.file,
      calibration.format,
      prepared.model,
      images,
      limits,
    );
  const statisticsBatches = await batchesOf(calibration.images);
  const moments = await budgetMoments(kernels, prepared, statisticsBatches, log);
  const factorCache = new LayerFactorCache(kernels, runJob);
  let shown = -1;
  const table = await measureSensitivity({
    prepared,
    kernels,
    batches: await batchesOf(APP_CALIBRATION_IMAGES),
    ...(moments
      ? {
          inputMoments: moments,
          statisticsImages: statisticsBatches.reduce((n, b) => n + b.dims[0], 0),
        }
      : { qaf: { objective: 'published' as const } }),
    factorCache,
    // With the pool as the runner, a layer's options are solved in parallel while it is probed.
    prefetch: runJob !== undefined,
    cache: new JsonFileSensitivityCache('.qaf-cache'),
    onProgress: (e) => {
      const percent = Math.floor(100 * e.progress);
      if (!log || percent === shown) return;
      shown = percent;
      const eta = e.etaMs === null ? '' : `, about ${Math.ceil(e.etaMs / 1000)} s left`;
      log(`sensitivity ${percent} % (${e.layer} ${e.option}${eta})`);
    },
  });
  log?.(
    `sensitivity: ${table.measured} options measured, ${table.cached} from .qaf-cache, ` +
      `${table.seconds.toFixed(1)} s`,
  );
  return { table, reuse: { factorCache, moments, passFactorizations: factorCache.misses } };
}

/**
 * What a given table says about the statistics its data-aware options were solved on, next to the
 * build's: the build solves its layers on its own statistics, so the options built are the
 * measured ones only when both came from the same images.
 */
export function statisticsNote(table: SensitivityTable, buildImages: number | null): string | null {
  if ((table.objective ?? 'data') !== 'data') return null;
  const build =
    buildImages === null
      ? 'this build has no --calibration-data, so it solves QAF without input statistics'
      : `this build takes its own from ${buildImages} images of --calibration-data`;
  const measured = table.statistics
    ? table.statistics.images === null
      ? 'on input statistics of an unrecorded number of images'
      : `on input statistics of ${table.statistics.images} calibration images`
    : 'on input statistics the table does not record (made before they were)';
  if (table.statistics?.images != null && table.statistics.images === buildImages) {
    return `the table's QAF options were solved ${measured}, as this build's will be (if the same images)`;
  }
  return `the table's QAF options were solved ${measured}; ${build}: the layers built may differ a little from those measured`;
}

/**
 * QAF's input statistics of the layers a budget pass measures, as the build takes them
 * (objective.ts): on the calibration images, centred since the build calibrates; null when the
 * statistics run cannot feed the model (both then solve the published objective, as the build
 * falls back).
 */
async function budgetMoments(
  kernels: Kernels,
  prepared: PreparedModel,
  batches: readonly CalibrationBatch[],
  log: ((line: string) => void) | null,
): Promise<Map<string, InputMoments> | null> {
  const layers = selectLayers(prepared.layers, DEFAULT_MENU.method, { spatialOnly: true });
  const images = batches.reduce((n, b) => n + b.dims[0], 0);
  log?.(`input statistics of ${layers.length} layers on ${images} calibration images ...`);
  try {
    return await collectInputMoments(kernels, prepared.model, layers, batches, { centre: true });
  } catch (e) {
    log?.(`input statistics not taken (${(e as Error).message}): published objective`);
    return null;
  }
}

export interface AllocationArgsOptions {
  kernels?: () => Promise<Kernels>;
  modelPath?: string;
  log?: (line: string) => void;
  /** Runs one factorization a budget pass needs (default: in this thread); the CLI's pool. */
  runJob?: (job: CompressJob) => Promise<LayerResult>;
}

/**
 * The allocation of --allocation or --budget, checked against the model; null without either.
 * `log` gets progress lines (stderr); null keeps quiet (--json).
 */
export async function allocationFromArgs(
  values: Record<string, unknown>,
  prepared: PreparedModel,
  options: AllocationArgsOptions = {},
): Promise<Allocation | null> {
  return (await allocationPlanFromArgs(values, prepared, options))?.allocation ?? null;
}

/** allocationFromArgs, with what a budget's sensitivity pass leaves for the build to reuse. */
export async function allocationPlanFromArgs(
  values: Record<string, unknown>,
  prepared: PreparedModel,
  options: AllocationArgsOptions = {},
): Promise<AllocationPlan | null> {
  const source = allocationSource(values);
  if (!source) return null;
  if (source.kind === 'file') {
    const allocation = await readAllocationFile(source.path, prepared, options.modelPath);
    return { allocation, reuse: null };
  }
  if (!options.kernels) throw new Error('allocationFromArgs: --budget needs kernels');
  const log = options.log ?? null;
  const kernels = await options.kernels();
  const { table, reuse } = await budgetTable(
    source,
    prepared,
    kernels,
    values,
    log,
    options.runJob,
  );
  const latency =
    source.budget.kind === 'latency' || source.also?.kind === 'latency'
      ? await measureBudgetLatency(prepared, table, {
          weightForm: (values['weight-form'] as WeightForm | undefined) ?? 'load',
          command: 'compress',
          log,
        })
      : undefined;
  try {
    const result = allocateForBudget(table, source.budget, {
      objective: source.objective,
      latency,
      also: source.also,
    });
    if (result.choices.every((c) => c.option.option === 'keep')) {
      throw new UsageError(
        `compress: within ${source.text} every layer is best kept as it is ` +
          `(${result.totals.bopPercent.toFixed(3)} % BOPs): nothing to compress; lower the budget`,
      );
    }
    log?.(
      `budget ${source.text}: ${result.totals.bopPercent.toFixed(3)} % BOPs, ` +
        `${Math.round(result.totals.storedBytes)} weight bytes stored ` +
        `(${Math.round(result.totals.weightBytes)} ideal)` +
        (result.totals.latencyMs === undefined
          ? ''
          : `, predicted ${result.totals.latencyMs.toFixed(2)} ms (original ${latency?.modelMs.toFixed(2)} ms)`) +
        ` (solver ${result.solver.ms.toFixed(1)} ms)`,
    );
    validateAllocation(prepared.layers, result.allocation);
    return { allocation: result.allocation, reuse };
  } catch (err) {
    if (err instanceof BudgetError) throw new UsageError(`compress: ${err.message}`);
    if (err instanceof AllocationError) throw new UsageError(`compress: ${err.message}`);
    throw err;
  }
}
