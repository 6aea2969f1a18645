// Sensitivity (issue #15, item 1): for each compressible layer and each option of the menu, what
// compressing that layer alone costs: the layer's relative output error on the images and the
// model's KL and top-1 agreement against the original. The original runs once; per layer its
// surrounding tensors are captured once; per option only the layer and the part of the network
// after it run (layerProbe.ts). Factorizations are shared through a LayerFactorCache and whole
// measurements through a SensitivityCache keyed by (model, data, settings, layer, option).
// Each option is factorized exactly as a build from the allocation will factorize it: QAF's
// objective (data-aware with the layer's input statistics from the calibration images, centred
// when calibrated, as the pipeline's withInputMoments), its grid scales, preset and seed; so the
// pass and the build share one factorization per (layer, option) through the LayerFactorCache.
import type { AffineOptions } from '../calibrate/affine.ts';
import { collectInputMoments } from '../calibrate/inputMoments.ts';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import { type CostLayer, computeCosts } from '../cost/costModel.ts';
import { ptqWeight } from '../factor/baselines.ts';
import { reconstruct } from '../factor/compressLayer.ts';
import { relativeErrorOf } from '../factor/cpTensor.ts';
import type { InputMoments } from '../factor/inputMoments.ts';
import { type LayerSelection, selectLayers, wantsInputMoments } from '../factor/modelJobs.ts';
import {
  type AdmmPresetName,
  type CompressJob,
  DEFAULT_QAF_SCALES,
  type QafObjective,
  type QafScales,
} from '../factor/types.ts';
import type { Kernels } from '../kernels/types.ts';
import { findInitializer } from '../onnx/builders.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import { tensorToFloat32 } from '../onnx/tensor.ts';
import type { PreparedModel } from '../pipeline/prepare.ts';
import { canonicalJson, sha256Hex } from '../sweep/configKey.ts';
import { LayerFactorCache, momentsHash } from '../sweep/layerCache.ts';
import { type ProgressEvent, throttleProgress } from '../util/progress.ts';
import { FLOAT_BITS } from '../util/units.ts';
import { jobKey } from './factorizer.ts';
import { LayerProbe, type ReferenceScores, referenceScores } from './layerProbe.ts';
import {
  DEFAULT_MENU,
  type LayerOption,
  menuOptions,
  type OptionMenu,
  optionCost,
  optionId,
  optionRank,
} from './options.ts';
import {
  type LayerSensitivity,
  MemorySensitivityCache,
  type OptionSensitivity,
  SENSITIVITY_FORMAT,
  SENSITIVITY_VERSION,
  type SensitivityCache,
  type SensitivityContext,
  type SensitivityTable,
  sensitivityKey,
} from './table.ts';

/** The one progress shape, plus where the pass is and an estimate of the time left. */
export interface SensitivityProgress extends ProgressEvent {
  layer: string;
  option: string;
  /** Milliseconds left, extrapolated from the work done so far; null before any. */
  etaMs: number | null;
}

export interface SensitivityOptions {
  prepared: PreparedModel;
  kernels: Kernels;
  /** Unlabelled images, preprocessed (makeCalibrationBatches); every option is measured on all. */
  batches: readonly CalibrationBatch[];
  /** Which layers (default: the k x k convs QAF applies to, as the sweep). */
  selection?: LayerSelection;
  menu?: Partial<OptionMenu>;
  /** Calibrate each compressed layer as the pipeline would (default true). */
  calibrate?: boolean;
  /**
   * QAF's settings of the build the table is for (default: the pipeline's with calibration
   * images: data-aware objective, the engine's default grid scales).
   */
  qaf?: { objective?: QafObjective; scales?: QafScales };
  /**
   * The images the build calibrates on and takes QAF's input statistics from (default
   * `batches`). Give the build's own so data-aware factors are the build's.
   */
  calibrationBatches?: readonly CalibrationBatch[];
  /** QAF's input statistics by layer, computed elsewhere (default: collected once here). */
  inputMoments?: ReadonlyMap<string, InputMoments>;
  /** How many images `inputMoments` came from, for the table to say (default: not recorded). */
  statisticsImages?: number;
  affine?: AffineOptions;
  preset?: AdmmPresetName;
  seed?: number;
  /** Weight bits of layers not compressed, and so of 'keep' (default 8, the rewrite's). */
  otherWeightBits?: number;
  /** Activation bits the costs assume (default 32: float activations). */
  actBits?: number;
  factorCache?: LayerFactorCache;
  /**
   * Start the factorizations of a layer's options (and the next layer's) together, before its
   * probes run, so a factor cache whose runner is a thread pool solves them in parallel while
   * this thread measures (default false: one after another, for the finest progress).
   */
  prefetch?: boolean;
  cache?: SensitivityCache;
  /** Activations one layer's measurement may hold in memory (default 1 GiB). */
  maxCaptureBytes?: number;
  signal?: AbortSignal;
  onProgress?: (event: SensitivityProgress) => void;
}

interface PlannedOption {
  option: LayerOption;
  id: string;
  rank: number;
  key: string;
}

interface PlannedLayer {
  layer: LayerInfo;
  options: PlannedOption[];
  skipped: { id: string; reason: string }[];
  /** Relative cost of measuring one option: MACs of the layer and of everything after it. */
  work: number;
}

export async function measureSensitivity(o: SensitivityOptions): Promise<SensitivityTable> {
  const started = performance.now();
  const menu = { ...DEFAULT_MENU, ...o.menu };
  const selection = o.selection ?? { spatialOnly: true };
  const layers = selectLayers(o.prepared.layers, menu.method, selection);
  if (layers.length === 0) throw new Error('sensitivity: no layer to measure in this model');
  if (o.batches.length === 0) throw new Error('sensitivity: no images to measure on');
  const calibrationBatches = o.calibrationBatches?.length ? o.calibrationBatches : o.batches;
  const dataSha256 = await batchesHash(o.batches);
  const objective = o.qaf?.objective ?? 'data';
  const context: SensitivityContext = {
    modelSha256: await sha256Hex(o.prepared.sourceBytes),
    dataSha256,
    calibrated: o.calibrate ?? true,
    preset: o.preset ?? 'default',
    seed: o.seed ?? 0,
    otherWeightBits: o.otherWeightBits ?? 8,
    objective,
    scales: o.qaf?.scales ?? DEFAULT_QAF_SCALES,
    // Data-aware factors follow from the statistics' images; given statistics are hashed alone.
    ...(objective === 'data' && {
      statisticsSha256: o.inputMoments
        ? await momentsMapHash(o.inputMoments)
        : calibrationBatches === o.batches
          ? dataSha256
          : await batchesHash(calibrationBatches),
    }),
  };
  const plan = await planLayers(o.prepared.layers, layers, menuOptions(menu), context);
  const progress = progressTracker(plan, started, o.onProgress);
  const factorCache = o.factorCache ?? new LayerFactorCache(o.kernels);
  const cache = o.cache ?? new MemorySensitivityCache();
  // Collected on the first data-aware option measured (a pass served from the cache needs none).
  let moments: Promise<ReadonlyMap<string, InputMoments>> | null = null;
  const momentsOf = () => {
    moments ??= layerMoments(o, layers, calibrationBatches, context);
    return moments;
  };
  let reference: ReferenceScores | null = null;
  const measuredLayers: { plan: PlannedLayer; results: OptionSensitivity[] }[] = [];
  let measured = 0;
  let cached = 0;
  const known = new Map<string, boolean>();
  const lookup = async (entry: PlannedOption) => {
    const value = await cache.get(entry.key);
    known.set(entry.key, value !== undefined);
    return value;
  };
  const prefetch = async (p: PlannedLayer | undefined) => {
    if (!o.prefetch || !p) return;
    for (const entry of p.options) {
      if (entry.option === 'keep' || (known.get(entry.key) ?? (await lookup(entry)) !== undefined))
        continue;
      // The statistics run onnxruntime: taken before the probes start, never beside them (two
      // runs at once in one onnxruntime-web instance failed: "output name cannot be empty" on
      // ResNet-20 with the CLI's default 2 threads).
      await momentsOf();
      // Memoised by the factor cache: measureOption's own call gets this promise.
      factorize(o, context, factorCache, p.layer, entry, momentsOf).catch(() => {});
    }
  };
  for (const [index, p] of plan.entries()) {
    const results: (OptionSensitivity | undefined)[] = [];
    for (const entry of p.options) results.push(await lookup(entry));
    await prefetch(p);
    await prefetch(plan[index + 1]);
    let probe: LayerProbe | null = null;
    try {
      for (const [i, entry] of p.options.entries()) {
        o.signal?.throwIfAborted();
        if (results[i]) {
          cached++;
          progress.done(p, entry, false);
          continue;
        }
        reference ??= await referenceScores(o.prepared.bytes, o.batches, o.signal);
        probe ??= await LayerProbe.open(o.prepared.model, p.layer, o.batches, reference, {
          maxBytes: o.maxCaptureBytes,
          signal: o.signal,
        });
        const result = await measureOption(o, context, factorCache, probe, entry, momentsOf);
        await cache.set(entry.key, result, {
          modelSha256: context.modelSha256,
          dataSha256: context.dataSha256,
          layer: p.layer.name,
          option: entry.id,
        });
        results[i] = result;
        measured++;
        progress.done(p, entry, true);
      }
    } finally {
      await probe?.close();
    }
    measuredLayers.push({ plan: p, results: results as OptionSensitivity[] });
  }
  progress.finish();
  return buildTable(o, context, measuredLayers, {
    seconds: (performance.now() - started) / 1000,
    measured,
    cached,
  });
}

async function measureOption(
  o: SensitivityOptions,
  context: SensitivityContext,
  factorCache: LayerFactorCache,
  probe: LayerProbe,
  entry: PlannedOption,
  momentsOf: () => Promise<ReadonlyMap<string, InputMoments>>,
): Promise<OptionSensitivity> {
  const layer = probe.layer;
  let replacement: Float32Array;
  let weightError: number;
  if (entry.option === 'keep') {
    const weight = tensorToFloat32(findInitializer(o.prepared.model, layer.weightName)!);
    replacement =
      context.otherWeightBits < FLOAT_BITS
        ? ptqWeight(o.kernels, weight, layer.weightShape, context.otherWeightBits, true).values
        : weight;
    weightError = relativeErrorOf(weight, replacement);
  } else {
    const result = await factorize(o, context, factorCache, layer, entry, momentsOf);
    replacement = reconstruct(result);
    weightError = result.error;
  }
  const calibrate = context.calibrated && entry.option !== 'keep';
  const m = await probe.measure(replacement, calibrate, o.affine, o.signal);
  return {
    id: entry.id,
    option: entry.option,
    rank: entry.rank,
    bops: 0,
    weightBytes: 0,
    weightError,
    ...m,
  };
}

/** The factorization allocationJobs and withInputMoments would make for this layer and option. */
async function factorize(
  o: SensitivityOptions,
  context: SensitivityContext,
  factorCache: LayerFactorCache,
  layer: LayerInfo,
  entry: PlannedOption,
  momentsOf: () => Promise<ReadonlyMap<string, InputMoments>>,
) {
  if (entry.option === 'keep') throw new Error('keep is not factorized');
  const job: Omit<CompressJob, 'name' | 'weight'> = {
    ...entry.option,
    shape: [...layer.weightShape],
    preset: context.preset,
    seed: context.seed,
    ...(entry.option.method === 'admm' && {
      objective: context.objective,
      scales: context.scales,
    }),
  };
  if (wantsInputMoments(job)) job.inputMoments = (await momentsOf()).get(layer.name);
  const weight = layerWeight(o.prepared.model, layer);
  return factorCache.compress(
    { name: layer.name, weight, shape: layer.weightShape },
    jobKey(job),
    job.inputMoments,
  );
}

/** One Float32Array per weight, so the factor cache hashes each weight once. */
const weights = new WeakMap<object, Map<string, Float32Array>>();
function layerWeight(model: PreparedModel['model'], layer: LayerInfo): Float32Array {
  let byName = weights.get(model);
  if (!byName) weights.set(model, (byName = new Map()));
  let weight = byName.get(layer.weightName);
  if (!weight) {
    weight = tensorToFloat32(findInitializer(model, layer.weightName)!);
    byName.set(layer.weightName, weight);
  }
  return weight;
}

async function planLayers(
  all: readonly LayerInfo[],
  layers: readonly LayerInfo[],
  options: readonly LayerOption[],
  context: SensitivityContext,
): Promise<PlannedLayer[]> {
  const plan: PlannedLayer[] = [];
  for (const layer of layers) {
    const entries: PlannedOption[] = [];
    const skipped: { id: string; reason: string }[] = [];
    for (const option of options) {
      const id = optionId(option);
      const rank = optionRank(layer, option);
      if (rank.error !== null) skipped.push({ id, reason: rank.error });
      else {
        const key = await sensitivityKey(optionContext(context, option), layer.name, id);
        entries.push({ option, id, rank: rank.rank, key });
      }
    }
    const after = all.filter((l) => l.nodeIndex >= layer.nodeIndex);
    const work = after.reduce((s, l) => s + (l.macs ?? 0), 0) || 1;
    plan.push({ layer, options: entries, skipped, work });
  }
  return plan;
}

/** The context an option's measurement depends on: QAF's settings only for QAF's options. */
function optionContext(context: SensitivityContext, option: LayerOption): SensitivityContext {
  if (option !== 'keep' && option.method === 'admm') return context;
  const { objective: _o, scales: _s, statisticsSha256: _h, ...rest } = context;
  return rest;
}

/** Progress in options measured; the ETA weighs each by the MACs it runs (cached ones by 0). */
function progressTracker(
  plan: readonly PlannedLayer[],
  started: number,
  onProgress?: (event: SensitivityProgress) => void,
) {
  const total = plan.reduce((n, p) => n + p.options.length, 0);
  let totalWork = plan.reduce((s, p) => s + p.work * p.options.length, 0);
  let doneWork = 0;
  let loaded = 0;
  const send = onProgress ? throttleProgress(onProgress) : () => {};
  const event = (layer: string, option: string): SensitivityProgress => {
    const elapsed = performance.now() - started;
    const etaMs = doneWork > 0 ? (elapsed / doneWork) * Math.max(0, totalWork - doneWork) : null;
    const progress = total > 0 ? loaded / total : 1;
    return { status: 'measuring sensitivity', loaded, total, progress, layer, option, etaMs };
  };
  send(event('', ''));
  return {
    done(p: PlannedLayer, entry: PlannedOption, measured: boolean) {
      loaded++;
      if (measured) doneWork += p.work;
      else totalWork -= p.work;
      send(event(p.layer.name, entry.id));
    },
    finish() {
      send({ ...event('', ''), loaded: total, progress: 1, etaMs: 0 });
    },
  };
}

function buildTable(
  o: SensitivityOptions,
  context: SensitivityContext,
  measured: { plan: PlannedLayer; results: OptionSensitivity[] }[],
  run: { seconds: number; measured: number; cached: number },
): SensitivityTable {
  const actBits = o.actBits ?? FLOAT_BITS;
  const costLayers: CostLayer[] = o.prepared.rewriteLayers;
  const covered = new Set(measured.map((m) => m.plan.layer.name));
  const rest = computeCosts(
    costLayers.filter((l) => !covered.has(l.name)),
    {},
    { otherWeightBits: context.otherWeightBits, actBits },
  ).totals;
  const all = computeCosts(costLayers, {}, { otherWeightBits: FLOAT_BITS }).totals;
  const layers: LayerSensitivity[] = measured.map(({ plan, results }) => {
    const costLayer = costLayers.find((l) => l.name === plan.layer.name)!;
    return {
      name: plan.layer.name,
      op: plan.layer.op,
      weightShape: [...plan.layer.weightShape],
      macs: plan.layer.macs ?? Number.NaN,
      options: results.map((r, i) => ({
        ...r,
        ...optionCost(
          costLayer,
          plan.options[i].option,
          r.rank,
          context.otherWeightBits,
          actBits,
          context.scales,
        ),
      })),
      skipped: plan.skipped,
    };
  });
  return {
    format: SENSITIVITY_FORMAT,
    version: SENSITIVITY_VERSION,
    modelSha256: context.modelSha256,
    dataSha256: context.dataSha256,
    images: o.batches.reduce((n, b) => n + b.dims[0], 0),
    calibrated: context.calibrated,
    preset: context.preset,
    seed: context.seed,
    objective: context.objective,
    scales: context.scales,
    ...(context.statisticsSha256 && {
      statistics: {
        sha256: context.statisticsSha256,
        images: o.inputMoments
          ? (o.statisticsImages ?? null)
          : (o.calibrationBatches?.length ? o.calibrationBatches : o.batches).reduce(
              (n, b) => n + b.dims[0],
              0,
            ),
      },
    }),
    otherWeightBits: context.otherWeightBits,
    actBits,
    floatBops: all.floatBops,
    floatWeightBytes: all.floatWeightBytes,
    fixed: {
      bops: rest.bops,
      weightBytes: rest.idealWeightBytes,
      storedBytes: rest.storedWeightBytes + rest.scaleBytes,
    },
    layers,
    ...run,
  };
}

/** SHA-256 over the preprocessed images: the data part of every cache key. */
async function batchesHash(batches: readonly CalibrationBatch[]): Promise<string> {
  const parts: string[] = [];
  for (const b of batches) {
    const bytes = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
    parts.push(`${b.dims.join('x')}:${await sha256Hex(bytes)}`);
  }
  return sha256Hex(canonicalJson(parts));
}

/**
 * QAF's input statistics of the layers as the pipeline takes them (pipeline/inputMoments.ts):
 * from the calibration images, centred when the build is calibrated; none for the published
 * objective, and none (published, as the build falls back) for a model the statistics run
 * cannot feed.
 */
async function layerMoments(
  o: SensitivityOptions,
  layers: readonly LayerInfo[],
  batches: readonly CalibrationBatch[],
  context: SensitivityContext,
): Promise<ReadonlyMap<string, InputMoments>> {
  if (o.inputMoments) return o.inputMoments;
  if (context.objective !== 'data') return new Map();
  try {
    return await collectInputMoments(o.kernels, o.prepared.model, layers, batches, {
      signal: o.signal,
      centre: context.calibrated,
    });
  } catch (e) {
    if (o.signal?.aborted) throw e;
    return new Map();
  }
}

/** SHA-256 over given statistics, by layer name. */
async function momentsMapHash(moments: ReadonlyMap<string, InputMoments>): Promise<string> {
  const parts: string[] = [];
  for (const [name, m] of [...moments].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    parts.push(`${name}:${await momentsHash(m)}`);
  }
  return sha256Hex(canonicalJson(parts));
}
