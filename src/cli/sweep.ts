// `qaf sweep MODEL.onnx --data FILE ...`: a grid of compression settings, one row per point,
// results cached in .qaf-cache/ by content hash so a repeated point costs nothing.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DEFAULT_CALIBRATION_IMAGES } from '../core/calibrate/defaults.ts';
import {
  calibrationCountWarning,
  calibrationDataProblem,
  calibrationFromEvaluation,
} from '../core/calibrate/fromData.ts';
import { rangeIndices, subsetIndices } from '../core/data/subset.ts';
import type { Dataset, DatasetFormat } from '../core/data/types.ts';
import { isMethodId, METHOD_IDS } from '../core/factor/methods/index.ts';
import type { QafObjective } from '../core/factor/types.ts';
import { loadKernels } from '../core/kernels/index.ts';
import { modelInputShape } from '../core/onnx/graphInputs.ts';
import { readModel } from '../core/onnx/reader.ts';
import { expandGrid, pointId } from '../core/sweep/grid.ts';
import { type ModelSweepOptions, runModelSweep } from '../core/sweep/modelSweep.ts';
import {
  parseShard,
  ShardError,
  type ShardSpec,
  shardManifest,
  shardPoints,
} from '../core/sweep/shard.ts';
import { formatPercent, sweepTable } from '../core/sweep/table.ts';
import type { SweepCache, SweepMeasurement, SweepMethod } from '../core/sweep/types.ts';
import type { ProgressEvent } from '../core/util/progress.ts';
import {
  countOption,
  type DataLimits,
  dataLimitOptions,
  dataLimitUsage,
  datasetFormat,
  type LoadedData,
  loadDataFile,
  parseDataLimits,
} from './data.ts';
import {
  DEFAULT_SHARD_DIR,
  ShardDirCache,
  shardUsage,
  sweepMergeCommand,
  writeShard,
} from './sweepShard.ts';
import {
  LayerPool,
  machineThreads,
  parseThreads,
  setRuntimeThreads,
  threadsUsage,
} from './threadPool.ts';
import { parseCommandArgs, readInputFile, UsageError } from './util.ts';

export const sweepUsage = `usage: qaf sweep MODEL.onnx --data FILE [--methods admm,ftq,ptq] [--rates 1.5,2,3]
                 [--bits 3,4,6,8] [--calibration-data FILE | --no-calibration] [--act-bits 8]
                 [--limit N] [--json] [--shard I/N [--shard-dir DIR]]
       qaf sweep merge DIR... [--json] [-o SWEEP.json]

  --data FILE               evaluation data (CIFAR-10 .bin, .zip of images, .npy)
  --format F                cifar10, zip or npy (default: from the extension)
  --methods LIST            admm, ftq, ptq, cp (default admm,ftq,ptq); quantization only (ptq)
                            and the float model are always included
  --rates LIST              parameter-reduction rates of the factorized layers (default 2)
  --bits LIST               weight bits of the compressed layers (default 4)
  --calibration-data FILE   images kept apart from --data for calibration: every point gets a
                            calibrated twin (per-channel output statistics matched to the float
                            model). Without it, calibration images are set aside from --data,
                            class-balanced and never evaluated (the output says how many)
  --no-calibration          no calibrated twins (and no images set aside from --data)
  --calibration-format F    format of the calibration data (default: from the extension)
  --calibration-images N    calibration images used (default ${DEFAULT_CALIBRATION_IMAGES}; taken from
                            --data: outside the evaluated images if there is room, else at most
                            half of them, the rest evaluated)
  --act-bits LIST           activation bits per point: 32 (float, default) and/or 8; 8 takes its
                            activation scales from the calibration images
  --layers WHICH            spatial (k x k convs, default), factorizable, or NAME,NAME,...
  --limit N                 evaluate a class-balanced subset of N images
  --runs N                  timed single-image latency runs per point (default 20)
  --preset P                ADMM preset: default or published
  --qaf-objective O         admm: data (the default with calibration images: factors solved for
                            the layers' output error on those images) or published (every
                            weight error weighs the same, the paper)
  --cache-dir DIR           result cache (default .qaf-cache); --no-cache disables it
  --json                    print one JSON object with a "points" array
${threadsUsage(28)}
${shardUsage}
${dataLimitUsage}`;

const sweepOptions = {
  data: { type: 'string' },
  format: { type: 'string' },
  methods: { type: 'string' },
  rates: { type: 'string' },
  bits: { type: 'string' },
  'calibration-data': { type: 'string' },
  'calibration-format': { type: 'string' },
  'calibration-images': { type: 'string' },
  'no-calibration': { type: 'boolean' },
  'act-bits': { type: 'string' },
  layers: { type: 'string' },
  limit: { type: 'string' },
  runs: { type: 'string' },
  preset: { type: 'string' },
  'qaf-objective': { type: 'string' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  threads: { type: 'string' },
  shard: { type: 'string' },
  'shard-dir': { type: 'string' },
  ...dataLimitOptions,
} as const;

export interface SweepArgs {
  model: string;
  data: string;
  format: DatasetFormat;
  methods: SweepMethod[];
  rates: number[];
  bits: number[];
  calibrationData: string | null;
  /** False with --no-calibration: no calibrated twins, nothing set aside from --data. */
  calibrate: boolean;
  calibrationFormat: DatasetFormat | null;
  calibrationImages: number;
  actBits: (number | null)[];
  layers: 'spatial' | 'factorizable' | string[];
  limit: number | null;
  runs: number;
  preset: 'default' | 'published';
  /** --qaf-objective; undefined: data with calibration images, else published. */
  objective?: QafObjective;
  cacheDir: string | null;
  json: boolean;
  limits: DataLimits;
  /** --shard I/N: this process computes its share of the grid into shardDir. */
  shard: ShardSpec | null;
  shardDir: string;
  /** --threads: factorizing and evaluation threads (default: every core). */
  threads?: number;
}

function numberList(flag: string, value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new UsageError(`sweep: --${flag} must be a comma-separated list of positive numbers`);
  }
  return list;
}

/** Parsed arguments, or null for --help. */
export function parseSweepArgs(argv: string[]): SweepArgs | null {
  const { values: v, positionals } = parseCommandArgs('sweep', argv, sweepOptions);
  if (v.help) return null;
  if (positionals.length !== 1) {
    throw new UsageError(
      `sweep: expected one MODEL.onnx, got ${positionals.length} (see qaf sweep --help)`,
    );
  }
  if (!v.data) throw new UsageError('sweep: --data FILE is required (see qaf sweep --help)');
  const methods = (v.methods ?? 'admm,ftq,ptq').split(',').map((m) => m.trim());
  const unknown = methods.filter((m) => !isMethodId(m));
  if (unknown.length)
    throw new UsageError(`sweep: unknown method ${unknown.join(', ')} (${METHOD_IDS.join(', ')})`);
  const bits = numberList('bits', v.bits, [4]);
  if (bits.some((b) => !Number.isInteger(b) || b < 2 || b > 8)) {
    throw new UsageError('sweep: --bits must be whole numbers from 2 to 8');
  }
  const actBits = numberList('act-bits', v['act-bits'], [32]);
  if (actBits.some((b) => b !== 8 && b !== 32))
    throw new UsageError('sweep: --act-bits takes 8 and/or 32');
  const calibrationData = v['calibration-data'] ?? null;
  const calibrate = !v['no-calibration'];
  if (!calibrate && calibrationData) {
    throw new UsageError('sweep: --calibration-data and --no-calibration contradict each other');
  }
  if (actBits.includes(8) && !calibrate) {
    throw new UsageError(
      'sweep: --act-bits 8 needs calibration images for the activation scales: drop ' +
        '--no-calibration (they are then set aside from --data) or give --calibration-data',
    );
  }
  const objective = v['qaf-objective'];
  if (objective !== undefined && objective !== 'published' && objective !== 'data') {
    throw new UsageError(`sweep: --qaf-objective must be published or data, got "${objective}"`);
  }
  if (objective === 'data' && !calibrate) {
    throw new UsageError(
      'sweep: --qaf-objective data needs calibration images: drop --no-calibration (they are ' +
        'then set aside from --data) or give --calibration-data',
    );
  }
  const layers = v.layers ?? 'spatial';
  return {
    model: positionals[0],
    data: v.data,
    format: datasetFormat('sweep', v.data, v.format, 'format'),
    methods: methods as SweepMethod[],
    rates: numberList('rates', v.rates, [2]),
    bits,
    calibrationData,
    calibrate,
    calibrationFormat: calibrationData
      ? datasetFormat('sweep', calibrationData, v['calibration-format'], 'calibration-format')
      : null,
    calibrationImages: countOption(
      'calibration-images',
      v['calibration-images'],
      DEFAULT_CALIBRATION_IMAGES,
    )!,
    actBits: actBits.map((b) => (b === 32 ? null : b)),
    layers: layers === 'spatial' || layers === 'factorizable' ? layers : layers.split(','),
    limit: countOption('limit', v.limit, null),
    runs: v.runs === undefined ? 20 : Math.max(0, Number(v.runs) | 0),
    preset: v.preset === 'published' ? 'published' : 'default',
    ...(objective && { objective }),
    cacheDir: v['no-cache'] ? null : (v['cache-dir'] ?? '.qaf-cache'),
    json: v.json ?? false,
    limits: parseDataLimits(v),
    shard: v.shard === undefined ? null : shardOf(v.shard),
    shardDir: v['shard-dir'] ?? DEFAULT_SHARD_DIR,
    threads: parseThreads(v.threads, (line) => process.stderr.write(`qaf sweep: ${line}\n`)),
  };
}

function shardOf(value: string): ShardSpec {
  try {
    return parseShard(value, process.env);
  } catch (err) {
    if (err instanceof ShardError) throw new UsageError(`sweep: ${err.message}`);
    throw err;
  }
}

/** The CLI's cache: one JSON file, rewritten (atomically) after every new point. */
export class JsonFileSweepCache implements SweepCache {
  private readonly file: string;
  private entries: Record<string, SweepMeasurement>;

  constructor(dir: string) {
    this.file = join(dir, 'sweep.json');
    mkdirSync(dir, { recursive: true });
    this.entries = {};
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8'));
      if (parsed && typeof parsed.entries === 'object') this.entries = parsed.entries;
    } catch {
      // Missing or unreadable cache: start empty, it is only a cache.
    }
  }

  async get(key: string): Promise<SweepMeasurement | undefined> {
    return this.entries[key];
  }

  async set(key: string, value: SweepMeasurement): Promise<void> {
    this.entries[key] = value;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, entries: this.entries }));
    renameSync(tmp, this.file);
  }
}

function progressLine(enabled: boolean) {
  if (!enabled) return undefined;
  return (e: ProgressEvent) => process.stderr.write(`\r${e.status} (${e.loaded}/${e.total})\x1b[K`);
}

export async function sweepCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'merge') return sweepMergeCommand(argv.slice(1));
  const args = parseSweepArgs(argv);
  if (!args) {
    console.log(sweepUsage);
    return 0;
  }
  const threads = args.threads ?? machineThreads();
  setRuntimeThreads(threads);
  const modelBytes = readInputFile(args.model, 'model', args.limits.maxInputBytes);
  const data = await loadDataFile(args.data, args.format, 'data', args.limits);
  const separate = args.calibrationData
    ? await loadDataFile(
        args.calibrationData,
        args.calibrationFormat!,
        'calibration data',
        args.limits,
      )
    : null;
  const plan = calibrationPlan(args, modelBytes, data, separate);
  if (plan.warning) console.error(`qaf sweep: warning: ${plan.warning}`);
  const tty = !args.json && process.stderr.isTTY === true;
  const started = performance.now();
  const grid = { methods: args.methods, rates: args.rates, bits: args.bits, actBits: args.actBits };
  // The points a run without calibration images can measure (as runModelSweep keeps them).
  const allPoints = expandGrid(grid).filter(
    (p) => plan.calibration !== null || (!p.calibrated && p.actBits === null),
  );
  const cache = args.cacheDir ? new JsonFileSweepCache(args.cacheDir) : undefined;
  const kernels = await loadKernels();
  const pool = new LayerPool(kernels, threads);
  const result = await runModelSweep({
    kernels,
    compressJob: (job) => pool.compress(job),
    modelBytes,
    dataset: data.dataset,
    dataBytes: data.bytes,
    indices: plan.evaluation,
    ...(args.shard ? { points: shardPoints(allPoints, args.shard) } : { grid }),
    calibration: plan.calibration ?? undefined,
    layers: args.layers,
    preset: args.preset,
    objective: args.objective,
    latencyRuns: args.runs,
    cache: args.shard ? new ShardDirCache(args.shardDir, cache) : cache,
    onProgress: progressLine(tty),
    onRow: (row) => {
      if (tty)
        process.stderr.write(`\r${pointId(row)}: top-1 ${formatPercent(row.accuracy)} %\x1b[K\n`);
    },
  }).finally(() => pool.close());
  if (tty) process.stderr.write('\n');
  if (result.objectiveNote) console.error(`qaf sweep: warning: ${result.objectiveNote}`);
  const objective = objectiveStatement(result);
  const points = result.rows.map(({ cached: _, ...row }) => row);
  if (args.shard) {
    const manifest = await shardManifest(result.context, allPoints, {
      model: basename(args.model),
      data: basename(args.data),
      images: result.images,
      calibrationImages: result.calibrationImages,
      calibration: { source: plan.source, statement: plan.statement, warning: plan.warning },
      layers: result.layers,
    });
    const file = writeShard(args.shardDir, manifest, args.shard, result.rows);
    const s = args.shard;
    console.error(
      `qaf sweep: shard ${s.index}/${s.count}: ${result.rows.length} of ${allPoints.length} points ` +
        `(${result.evaluations} evaluated, ${result.rows.length - result.evaluations} reused) -> ${file}`,
    );
  }
  if (args.json) {
    console.log(
      JSON.stringify({
        model: basename(args.model),
        data: basename(args.data),
        images: result.images,
        calibrationImages: result.calibrationImages,
        calibration: { source: plan.source, statement: plan.statement, warning: plan.warning },
        qafObjective: {
          objective: result.objective,
          images: result.momentImages,
          statement: objective,
        },
        layers: result.layers,
        evaluations: result.evaluations,
        cached: result.rows.filter((r) => r.cached).length,
        seconds: (performance.now() - started) / 1000,
        points,
      }),
    );
  } else {
    console.log(
      `${basename(args.model)}: ${result.layers.length} layers compressed, ${result.images} images; ${plan.statement}`,
    );
    if (args.methods.includes('admm')) console.log(objective);
    console.log(sweepTable(result.rows));
  }
  return 0;
}

/** QAF's objective in words, e.g. "QAF data-aware: solved for the layers' inputs on 256 images". */
export function objectiveStatement(result: { objective: QafObjective; momentImages: number }) {
  return result.objective === 'data'
    ? `QAF data-aware: solved for the layers' inputs on ${result.momentImages} calibration images`
    : 'QAF published objective: every weight error weighs the same';
}

interface CalibrationPlan {
  source: 'file' | 'data' | 'none';
  /** Images evaluated (undefined: all of --data). */
  evaluation: Int32Array | undefined;
  calibration: ModelSweepOptions['calibration'] | null;
  statement: string;
  warning: string | null;
}

/**
 * Where the calibration images come from (a separate file, a part of --data set aside, or
 * nowhere) and which images are evaluated; a calibration set that cannot feed the model is
 * refused here, before any work.
 */
function calibrationPlan(
  args: SweepArgs,
  modelBytes: Uint8Array,
  data: LoadedData,
  separate: LoadedData | null,
): CalibrationPlan {
  const limited = limitIndices(data.dataset, args.limit);
  if (!args.calibrate) {
    return {
      source: 'none',
      evaluation: limited,
      calibration: null,
      statement: 'not calibrated (--no-calibration)',
      warning: null,
    };
  }
  const inputShape = modelInputShape(readModel(modelBytes));
  const problem = calibrationDataProblem(inputShape, (separate ?? data).dataset);
  if (problem) throw new Error(`sweep: ${problem}`);
  if (separate) {
    const images = Math.min(args.calibrationImages, separate.dataset.count);
    return {
      source: 'file',
      evaluation: limited,
      calibration: { dataset: separate.dataset, dataBytes: separate.bytes, images },
      statement: `calibrated on ${images} images of ${basename(args.calibrationData!)}`,
      warning: calibrationCountWarning(images),
    };
  }
  const evaluated = limited ?? rangeIndices(data.dataset.count);
  const split = calibrationFromEvaluation(data.dataset, evaluated, args.calibrationImages);
  const calibration = split.calibration.length
    ? { dataset: data.dataset, dataBytes: data.bytes, indices: split.calibration }
    : null;
  return {
    source: calibration ? 'data' : 'none',
    evaluation: split.evaluation.length === data.dataset.count ? undefined : split.evaluation,
    calibration,
    statement: `${basename(args.data)}: ${split.statement}`,
    warning: split.warning,
  };
}

function limitIndices(dataset: Dataset, limit: number | null): Int32Array | undefined {
  if (limit === null || limit >= dataset.count) return undefined;
  return subsetIndices(dataset, 'quick', limit);
}
