// `qaf sensitivity MODEL.onnx --calibration-data FILE -o table.json`: what compressing each layer
// alone, by each option of a small menu, costs the model (src/core/allocate/sensitivity.ts).
// Measurements are cached in .qaf-cache/ by model, images, layer and option.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  DEFAULT_MENU,
  measureSensitivity,
  type OptionSensitivity,
  type SensitivityCache,
  type SensitivityProgress,
  type SensitivityTable,
} from '../core/allocate/index.ts';
import { makeCalibrationBatches } from '../core/calibrate/batches.ts';
import { APP_CALIBRATION_IMAGES, DEFAULT_CALIBRATION_IMAGES } from '../core/calibrate/defaults.ts';
import type { LayerSelection } from '../core/factor/modelJobs.ts';
import { DEFAULT_QAF_SCALES, type QafScales } from '../core/factor/types.ts';
import { loadKernels } from '../core/kernels/index.ts';
import { prepareModel } from '../core/pipeline/prepare.ts';
import { LayerFactorCache } from '../core/sweep/layerCache.ts';
import {
  countOption,
  dataLimitOptions,
  dataLimitUsage,
  datasetFormat,
  loadDataFile,
  parseDataLimits,
} from './data.ts';
import { LayerPool, parseThreads, setRuntimeThreads, threadsUsage } from './threadPool.ts';
import { formatTable, parseCommandArgs, readInputFile, UsageError } from './util.ts';

const list = (xs: readonly number[]) => xs.join(',');

export const sensitivityUsage = `usage: qaf sensitivity MODEL.onnx --calibration-data FILE [-o TABLE.json] [--images N]
                       [--rates ${list(DEFAULT_MENU.rates)}] [--bits ${list(DEFAULT_MENU.bits)}] [--ptq-bits ${list(DEFAULT_MENU.ptqBits)}]
                       [--scales factor|component] [--json]

For each layer and each option (QAF at every rate x bits, PTQ at every --ptq-bits, keep as is),
compress that layer alone and measure the layer's relative output error and the model's
KL(original || compressed) and top-1 agreement on the images. Calibration after compression is
applied to the layer as the pipeline applies it.

  --calibration-data FILE  unlabelled images (CIFAR-10 .bin, .zip, .npy), kept apart from any
                           evaluation set
  --calibration-format F   cifar10, zip or npy (default: from the extension)
  --images N               images measured on, a class-balanced sample (default ${APP_CALIBRATION_IMAGES})
  --calibration-images N   images QAF's input statistics are taken from, as the build's
                           --calibration-images takes them (default ${DEFAULT_CALIBRATION_IMAGES}, the build's):
                           the options measured are the factors \`qaf compress\` will solve
  --rates LIST             QAF parameter-reduction rates
  --bits LIST              QAF weight bits
  --ptq-bits LIST          quantize-only weight bits ("" for none)
  --per-channel            PTQ options with one scale per output channel
  --no-keep                leave out "keep as is" (weights at --other-bits)
  --layers WHICH           spatial (k x k convs, default), factorizable, or NAME,NAME,...
  --other-bits B           weight bits of layers not compressed and of "keep" (default 8)
  --no-calibrate           measure without calibration after compression
  --preset P               ADMM preset: default or published
  --scales S               QAF's grid scales: component or factor (default ${DEFAULT_QAF_SCALES};
                           see qaf compress --help); the table and an allocation from it
                           carry them, so the build solves what was measured
  --cache-dir DIR          measurement cache (default .qaf-cache); --no-cache disables it
  -o, --output FILE        write the table (JSON) for \`qaf allocate\`
  --json                   print the table as JSON instead of the KL matrix
${threadsUsage(27)}
                           (a layer's options are factorized in parallel while it is probed)
${dataLimitUsage}`;

const options = {
  'calibration-data': { type: 'string' },
  'calibration-format': { type: 'string' },
  images: { type: 'string' },
  'calibration-images': { type: 'string' },
  scales: { type: 'string' },
  rates: { type: 'string' },
  bits: { type: 'string' },
  'ptq-bits': { type: 'string' },
  'per-channel': { type: 'boolean' },
  'no-keep': { type: 'boolean' },
  layers: { type: 'string' },
  'other-bits': { type: 'string' },
  'no-calibrate': { type: 'boolean' },
  preset: { type: 'string' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
  threads: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...dataLimitOptions,
} as const;

function numbers(
  flag: string,
  value: string | undefined,
  fallback: readonly number[],
  bits: boolean,
) {
  if (value === undefined) return [...fallback];
  if (value.trim() === '') return [];
  const xs = value.split(',').map((v) => Number(v.trim()));
  const bad = xs.some((x) =>
    bits ? !Number.isInteger(x) || x < 2 || x > 8 : !Number.isFinite(x) || x < 1,
  );
  if (bad) {
    throw new UsageError(
      `sensitivity: --${flag} must be a comma-separated list of ${bits ? 'bits from 2 to 8' : 'rates >= 1'}`,
    );
  }
  return xs;
}

function selectionOf(value: string | undefined): LayerSelection {
  if (value === undefined || value === 'spatial') return { spatialOnly: true };
  if (value === 'factorizable') return {};
  return { names: value.split(',').map((n) => n.trim()) };
}

/** The CLI's cache: one JSON file, rewritten (atomically) after every new measurement. */
export class JsonFileSensitivityCache implements SensitivityCache {
  private readonly file: string;
  private entries: Record<string, OptionSensitivity> = {};

  constructor(dir: string) {
    this.file = join(dir, 'sensitivity.json');
    mkdirSync(dir, { recursive: true });
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8'));
      if (parsed && typeof parsed.entries === 'object') this.entries = parsed.entries;
    } catch {
      // Missing or unreadable: start empty, it is only a cache.
    }
  }

  async get(key: string) {
    return this.entries[key];
  }

  async set(key: string, value: OptionSensitivity) {
    this.entries[key] = value;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, entries: this.entries }));
    renameSync(tmp, this.file);
  }
}

/** 'keep', 'q4' (PTQ), 'qc4' (per channel), 'r2w4' (QAF at rate 2), 'k12w4' (rank 12). */
function shortId(id: string): string {
  return id
    .replace(/^ptq-pc-w/, 'qc')
    .replace(/^ptq-w/, 'q')
    .replace(/^admm-/, '')
    .replace(/-/g, '');
}

/** Layers down, options across, KL x 1000 in the cells: the text heat map. */
export function sensitivityMatrix(table: SensitivityTable): string {
  const ids = [...new Set(table.layers.flatMap((l) => l.options.map((o) => o.id)))];
  const rows = table.layers.map((l) => [
    l.name,
    ...ids.map((id) => {
      const o = l.options.find((x) => x.id === id);
      return o ? (1000 * o.kl).toFixed(o.kl < 0.01 ? 2 : 1) : '-';
    }),
  ]);
  const numeric = new Set(ids.map((_, i) => i + 1));
  return formatTable(['layer', ...ids.map(shortId)], rows, numeric);
}

function progressLine(enabled: boolean) {
  if (!enabled) return undefined;
  return (e: SensitivityProgress) => {
    const eta = e.etaMs === null ? '' : `, ${Math.ceil(e.etaMs / 60_000)} min left`;
    process.stderr.write(`\r${e.status} ${e.loaded}/${e.total} ${e.layer} ${e.option}${eta}\x1b[K`);
  };
}

export async function sensitivityCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('sensitivity', argv, options);
  if (v.help) {
    console.log(sensitivityUsage);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      `sensitivity: expected one MODEL.onnx, got ${positionals.length} (see qaf sensitivity --help)`,
    );
  }
  const data = v['calibration-data'];
  if (!data) throw new UsageError('sensitivity: --calibration-data FILE is required');
  const menu = {
    rates: numbers('rates', v.rates, DEFAULT_MENU.rates, false),
    bits: numbers('bits', v.bits, DEFAULT_MENU.bits, true),
    ptqBits: numbers('ptq-bits', v['ptq-bits'], DEFAULT_MENU.ptqBits, true),
    ptqPerChannel: v['per-channel'] ?? false,
    keep: !v['no-keep'],
  };
  const otherBits = v['other-bits'] === undefined ? 8 : Number(v['other-bits']);
  if (!(Number.isInteger(otherBits) && otherBits >= 2 && otherBits <= 8) && otherBits !== 32) {
    throw new UsageError('sensitivity: --other-bits must be 2-8, or 32 to keep them float');
  }
  const preset = v.preset ?? 'default';
  if (preset !== 'default' && preset !== 'published') {
    throw new UsageError('sensitivity: --preset must be default or published');
  }
  const scales = (v.scales ?? DEFAULT_QAF_SCALES) as QafScales;
  if (scales !== 'factor' && scales !== 'component') {
    throw new UsageError(`sensitivity: --scales must be factor or component, got "${v.scales}"`);
  }
  const images = countOption('images', v.images, APP_CALIBRATION_IMAGES)!;
  const statisticsImages = countOption(
    'calibration-images',
    v['calibration-images'],
    DEFAULT_CALIBRATION_IMAGES,
  )!;
  const format = datasetFormat('sensitivity', data, v['calibration-format'], 'calibration-format');

  const threads = parseThreads(v.threads, (line) => process.stderr.write(`${line}\n`));
  setRuntimeThreads(threads);
  const limits = parseDataLimits(v);
  const prepared = await prepareModel(
    readInputFile(positionals[0], 'model file', limits.maxInputBytes),
  );
  const { dataset } = await loadDataFile(data, format, 'calibration data', limits);
  const batches = makeCalibrationBatches(prepared.model, dataset, { images });
  const statistics =
    statisticsImages === images
      ? batches
      : makeCalibrationBatches(prepared.model, dataset, { images: statisticsImages });
  const tty = !v.json && process.stderr.isTTY === true;
  const kernels = await loadKernels();
  const pool = new LayerPool(kernels, threads);
  const table = await measureSensitivity({
    prepared,
    kernels,
    factorCache: new LayerFactorCache(kernels, (job) => pool.compress(job)),
    prefetch: threads > 1,
    batches,
    calibrationBatches: statistics,
    qaf: { scales },
    selection: selectionOf(v.layers),
    menu,
    calibrate: !v['no-calibrate'],
    preset,
    otherWeightBits: otherBits,
    cache: v['no-cache'] ? undefined : new JsonFileSensitivityCache(v['cache-dir'] ?? '.qaf-cache'),
    onProgress: progressLine(tty),
  }).finally(() => pool.close());
  if (tty) process.stderr.write('\n');
  const json = JSON.stringify(table);
  if (v.output) writeFileSync(v.output, `${json}\n`);
  if (v.json) {
    console.log(json);
    return 0;
  }
  console.log(
    `${basename(positionals[0])}: KL(original || compressed) x 1000, each layer compressed alone, ` +
      `on ${table.images} images of ${basename(data)}${table.calibrated ? ', calibrated' : ''}`,
  );
  console.log(sensitivityMatrix(table));
  const skipped = table.layers.flatMap((l) =>
    l.skipped.map((s) => `${l.name} ${s.id}: ${s.reason}`),
  );
  if (skipped.length) console.log(`\nnot measured:\n  ${skipped.join('\n  ')}`);
  console.log(
    `\n${table.measured} options measured, ${table.cached} from the cache, ${table.seconds.toFixed(0)} s` +
      (v.output ? `; wrote ${v.output}` : ''),
  );
  return 0;
}
