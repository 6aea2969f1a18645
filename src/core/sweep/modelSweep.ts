// The whole sweep over one model and one evaluation set, for the CLI, the bench and the app:
// prepare layers, preprocess calibration images once, build the evaluator, run the grid with
// the cache. Cache keys hash the model and data bytes plus every setting that changes a result.
import type { AffineOptions } from '../calibrate/affine.ts';
import { DEFAULT_CALIBRATION_IMAGES, makeCalibrationBatches } from '../calibrate/batches.ts';
import type { CalibrationStrategy } from '../calibrate/calibrateModel.ts';
import { collectInputMoments } from '../calibrate/inputMoments.ts';
import type { Dataset } from '../data/types.ts';
import type { InputMoments } from '../factor/inputMoments.ts';
import { type LayerSelection as LayerPick, selectLayers } from '../factor/modelJobs.ts';
import type { AdmmPresetName, CompressJob, LayerResult, QafObjective } from '../factor/types.ts';
import { loadKernels } from '../kernels/index.ts';
import type { Kernels } from '../kernels/types.ts';
import { findInitializer, tensorToFloat32 } from '../onnx/index.ts';
import { type PreparedModel, prepareModel } from '../pipeline/index.ts';
import type { ProgressCallback } from '../util/progress.ts';
import { sha256Hex } from './configKey.ts';
import { createSweepEvaluator, type SweepLayer } from './evaluator.ts';
import { expandGrid } from './grid.ts';
import { runSweep } from './runSweep.ts';
import type { SweepCache, SweepContext, SweepGridSpec, SweepPoint, SweepRow } from './types.ts';

/**
 * Bump when a change to the pipeline changes results, so old cache entries stop matching (the
 * CLI's JSON cache and the app's IndexedDB both key on it). 2: act-8 models also quantize the
 * tensors inside factorized chains. 3: the randomized start and the new default ADMM preset
 * (issue #14) change QAF, FTQ and float CP results. 4: QAF on layers whose largest mode is <= 64
 * runs from both starts and keeps the lower error. 5: only data-aware QAF does (published QAF is
 * back to the randomized start alone: choosing by weight error cost top-1). 6: with calibration
 * images, QAF points are data-aware by default (factors solved for the layers' inputs on those
 * images; calibrated twins with the centred channel moment), and the objective is in the key.
 * 7: QAF's default grid scales are per component (one per rank-1 column), named in the key.
 */
export const SWEEP_PIPELINE_VERSION = 7;

/**
 * 'spatial': factorizable convolutions with a k x k kernel, k > 1 (on the CIFAR ResNets, the 18
 * or 54 block 3x3 convs: the stem is too small to factorize). 'factorizable': every layer the
 * discovery marks factorizable. Or explicit layer names. Every method of a sweep compresses the
 * same layers.
 */
export type SweepLayerSelection = 'spatial' | 'factorizable' | readonly string[];

export interface ModelSweepOptions {
  modelBytes: Uint8Array;
  dataset: Dataset;
  /** Raw bytes of the evaluation file (or its SHA-256), for the cache key. */
  dataBytes: Uint8Array | string;
  /** Images evaluated; default all. */
  indices?: Int32Array;
  grid?: SweepGridSpec;
  /** Explicit points instead of a grid. */
  points?: SweepPoint[];
  calibration?: {
    dataset: Dataset;
    dataBytes: Uint8Array | string;
    images?: number;
    /** These images of `dataset` (e.g. the part of the evaluation data set aside for
     * calibration, disjoint from `indices`) instead of a class-balanced sample of `images`. */
    indices?: Int32Array;
    strategy?: CalibrationStrategy;
    passes?: number;
    affine?: AffineOptions;
  };
  /** Default 'spatial': the k x k block convs (the published setup); or names. */
  layers?: SweepLayerSelection;
  preset?: AdmmPresetName;
  seed?: number;
  /**
   * QAF's objective: default 'data' when calibration images are given (input statistics taken
   * once per sweep on those images; falls back to 'published' when they cannot be taken, e.g. a
   * model with several inputs), else 'published'. An explicit 'data' needs calibration images.
   */
  objective?: QafObjective;
  perChannelPtq?: boolean;
  latencyRuns?: number;
  batchSize?: number;
  kernels?: Kernels;
  /** Computes one layer's factorization (default: compressLayer in this thread). */
  compressJob?: (job: CompressJob) => Promise<LayerResult>;
  cache?: SweepCache;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  onPointProgress?: ProgressCallback;
  onRow?: (row: SweepRow) => void;
}

export interface ModelSweepResult {
  rows: SweepRow[];
  layers: string[];
  images: number;
  calibrationImages: number;
  /** Points really evaluated (the rest came from the cache). */
  evaluations: number;
  /** Per-layer factorizations computed and reused. */
  factorizations: { computed: number; reused: number };
  /** QAF's objective in this sweep ('data': solved for the layers' inputs). */
  objective: QafObjective;
  /** Data-aware QAF: images the input statistics were taken on (0 when published). */
  momentImages: number;
  /** Why the data-aware objective was not used although it was the default, or null. */
  objectiveNote: string | null;
  context: SweepContext;
}

const hashOf = (v: Uint8Array | string) =>
  typeof v === 'string' ? Promise.resolve(v) : sha256Hex(v);

export async function runModelSweep(options: ModelSweepOptions): Promise<ModelSweepResult> {
  const points = options.points ?? expandGrid(options.grid ?? { methods: [], rates: [], bits: [] });
  const prepared = await prepareModel(options.modelBytes);
  const selected = sweepLayers(prepared, options.layers ?? 'spatial');
  const cal = options.calibration;
  const batches = cal
    ? makeCalibrationBatches(prepared.model, cal.dataset, {
        images: cal.images,
        indices: cal.indices,
      })
    : undefined;
  const calibrationImages = batches?.reduce((n, b) => n + b.dims[0], 0) ?? 0;
  const runnable = batches ? points : points.filter((p) => !p.calibrated && p.actBits === null);
  const kernels = options.kernels ?? (await loadKernels());
  const moments = await sweepMoments(options, prepared, selected, runnable, batches, kernels);
  const handle = createSweepEvaluator({
    prepared,
    layers: selected,
    kernels,
    dataset: options.dataset,
    indices: options.indices,
    batchSize: options.batchSize,
    calibrationBatches: batches,
    calibration: cal && { strategy: cal.strategy, passes: cal.passes, affine: cal.affine },
    preset: options.preset,
    seed: options.seed,
    objective: moments.objective,
    inputMoments: moments.byLayer,
    perChannelPtq: options.perChannelPtq,
    latencyRuns: options.latencyRuns,
    onProgress: options.onPointProgress,
    compressJob: options.compressJob,
  });
  const layers = selected.map((l) => l.name);
  const context: SweepContext = {
    modelHash: await sha256Hex(options.modelBytes),
    dataHash: await hashOf(options.dataBytes),
    settings: {
      version: SWEEP_PIPELINE_VERSION,
      images: options.indices ? await sha256Hex(indexBytes(options.indices)) : 'all',
      layers,
      calibration: cal && {
        dataHash: await hashOf(cal.dataBytes),
        images: calibrationImages,
        strategy: cal.strategy ?? 'sequential',
        passes: cal.passes ?? null,
        affine: cal.affine ?? null,
        // Only when chosen explicitly, so keys of sampled calibration images stay as they were.
        ...(cal.indices ? { indices: await sha256Hex(indexBytes(cal.indices)) } : {}),
      },
      preset: options.preset ?? 'default',
      seed: options.seed ?? 0,
      perChannelPtq: options.perChannelPtq ?? false,
      // The statistics follow from the model and the calibration images, both in the key.
      qafObjective: moments.objective,
    },
  };
  const rows = await runSweep({
    points: runnable,
    context,
    evaluate: handle.evaluate,
    cache: options.cache,
    signal: options.signal,
    onProgress: options.onProgress,
    onRow: options.onRow,
  });
  return {
    rows,
    layers,
    images: options.indices?.length ?? options.dataset.count,
    calibrationImages,
    evaluations: handle.evaluations,
    factorizations: { computed: handle.factorCache.misses, reused: handle.factorCache.hits },
    objective: moments.objective,
    momentImages: moments.byLayer ? calibrationImages : 0,
    objectiveNote: moments.note,
    context,
  };
}

interface SweepMoments {
  objective: QafObjective;
  byLayer?: Map<string, InputMoments>;
  note: string | null;
}

/** QAF's objective and, for the data-aware one, the layers' input statistics (one pass). */
async function sweepMoments(
  options: ModelSweepOptions,
  prepared: PreparedModel,
  selected: readonly SweepLayer[],
  points: readonly SweepPoint[],
  batches: ReturnType<typeof makeCalibrationBatches> | undefined,
  kernels: Kernels,
): Promise<SweepMoments> {
  const objective = options.objective ?? (batches?.length ? 'data' : 'published');
  if (objective === 'published') return { objective, note: null };
  if (!batches?.length) {
    throw new Error(
      'sweep: the data-aware QAF objective needs calibration images (--calibration-data, or ' +
        'leave calibration on so they are set aside from --data)',
    );
  }
  if (!points.some((p) => p.method === 'admm')) return { objective, note: null };
  const names = new Set(selected.map((l) => l.name));
  const layers = prepared.layers.filter((l) => names.has(l.name));
  try {
    const byLayer = await collectInputMoments(kernels, prepared.model, layers, batches, {
      signal: options.signal,
      onProgress: options.onPointProgress,
    });
    return { objective, byLayer, note: null };
  } catch (e) {
    if (options.signal?.aborted || options.objective === 'data') throw e;
    const note = `input statistics not taken (${(e as Error).message}): QAF solved for the published objective`;
    return { objective: 'published', note };
  }
}

function sweepLayers(prepared: PreparedModel, selection: SweepLayerSelection): SweepLayer[] {
  const pick: LayerPick =
    selection === 'spatial'
      ? { spatialOnly: true }
      : selection === 'factorizable'
        ? {}
        : { names: selection };
  // Selected as for QAF: factorizable layers; PTQ points then quantize the same ones.
  const layers = selectLayers(prepared.layers, 'admm', pick);
  if (layers.length === 0) throw new Error('sweep: no layer to compress in this model');
  return layers.map((l) => ({
    name: l.name,
    weight: tensorToFloat32(findInitializer(prepared.model, l.weightName)!),
    weightShape: l.weightShape,
  }));
}

function indexBytes(indices: Int32Array): Uint8Array {
  return new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength);
}

export { DEFAULT_CALIBRATION_IMAGES };
