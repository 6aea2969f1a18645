// The eval worker's build step: layer results from the compression pool -> the core pipeline
// (write, calibrate, check) -> compressed .onnx bytes and report. Lives beside the datasets
// (they stay in this worker) so no image crosses to the page. Calibration images come from a
// separate set, or, without one, from a part of the evaluation set that the evaluation of the
// same run leaves out (evaluationSplit: the build and the evaluation compute the same split).
import { makeCalibrationBatches, tensorCalibrationBatches } from '../src/core/calibrate/batches.ts';
import type { ChannelStats } from '../src/core/calibrate/channelStats.ts';
import { APP_CALIBRATION_IMAGES } from '../src/core/calibrate/defaults.ts';
import {
  calibrationCountWarning,
  calibrationDataProblem,
  calibrationFromEvaluation,
  type EvaluationCalibration,
} from '../src/core/calibrate/fromData.ts';
import { collectInputMoments } from '../src/core/calibrate/inputMoments.ts';
import type { CalibrationBatch } from '../src/core/calibrate/outputStats.ts';
import { type SubsetName, subsetIndices } from '../src/core/data/subset.ts';
import type { TensorSet } from '../src/core/data/tensors.ts';
import type { Dataset, PreprocessSpec } from '../src/core/data/types.ts';
import type { InputMoments } from '../src/core/factor/inputMoments.ts';
import type { LayerResult } from '../src/core/factor/types.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { modelInputShape } from '../src/core/onnx/graphInputs.ts';
import type { OnnxModel } from '../src/core/onnx/types.ts';
import {
  compressModel,
  describeCheck,
  layerOutputs,
  prepareModel,
  type RunCheck,
} from '../src/core/pipeline/index.ts';
import type { CompressionReport } from '../src/core/rewrite/index.ts';
import type { WeightForm } from '../src/core/rewrite/weightForm.ts';
import { sha256Hex } from '../src/core/sweep/configKey.ts';
import { momentsHash } from '../src/core/sweep/layerCache.ts';
import type { ProgressCallback } from '../src/core/util/progress.ts';

export interface BuildRequest {
  /** The original model file; transferred. */
  modelBytes: ArrayBuffer;
  results: LayerResult[];
  /** 2..8, or 32 to leave the other layers float. */
  otherWeightBits: number;
  /** 8 or 32 (float activations). */
  actBits: number;
  /** Match per-channel output statistics of the original after compressing. */
  calibrate: boolean;
  /** The separate calibration set, or the evaluation set when `fromEvaluation` is given. */
  calibrationDatasetId: string | null;
  /** Calibration images are a part of the evaluation set set aside (no separate set). */
  fromEvaluation?: EvaluationPart | null;
  spec?: PreprocessSpec;
  /** The input shapes the user set for symbolic dims (the check runs generated inputs at them). */
  inputShapes?: Record<string, number[]> | null;
  /** Images of the separate calibration set (default APP_CALIBRATION_IMAGES): a sweep point's
   * download takes as many as its sweep did. */
  separateImages?: number;
  /** The user's arrays for every model input: the check runs on them instead of images. */
  checkData?: TensorSet | null;
  /** Without calibration images: activation ranges and calibration on `checkData` instead. */
  calibrateOnArrays?: boolean;
  /** How the file holds its quantized weights (default 'dequantize'). */
  weightForm?: WeightForm;
  /** Time the factorized convs and write the slower ones back as one conv (needs 'load'/'float'). */
  latencyGuard?: boolean;
}

/** Which evaluation images a run uses, and how many of them go to calibration instead. */
export interface EvaluationPart {
  subset: SubsetName;
  /** A smaller stratified subset (e.g. 200). */
  limit?: number;
  /** Calibration images asked for (fewer when the data is small). */
  images: number;
}

export interface BuildResult {
  bytes: Uint8Array;
  report: CompressionReport;
  calibrated: boolean;
  /** Model runs the calibration made (0 when not calibrated). */
  calibrationRuns: number;
  /** The written model run next to the original in onnxruntime. */
  check: RunCheck | null;
  /** The check for the page: failed when the outputs differ far more than an 8-bit PTQ of the
   * same layers; `text` is the check in one line with the numbers. */
  checkSummary: { ok: boolean; text: string; reason: string } | null;
  /** Calibration images used (also the activation ranges'); 0 when none. */
  calibrationImages: number;
  /** Where they came from, in words, e.g. "calibrated on 256 of your images, evaluated on the
   * other 744"; null when not calibrated. Also in the report's notes. */
  calibrationStatement: string | null;
  /** Too few calibration images for stable statistics. */
  calibrationWarning: string | null;
  /** What the weight form and the latency guard did to the file, in words (report notes). */
  formNotes: string[];
}

/** The evaluation images of a run: a stratified subset of the evaluation set. */
export function evaluationIndices(
  dataset: Dataset,
  subset: SubsetName,
  limit?: number,
): Int32Array {
  if (limit && limit < dataset.count) return subsetIndices(dataset, 'quick', limit);
  return subsetIndices(dataset, subset);
}

/** The run's split of the evaluation set into calibration and evaluation images. */
export function evaluationSplit(dataset: Dataset, part: EvaluationPart): EvaluationCalibration {
  return calibrationFromEvaluation(
    dataset,
    evaluationIndices(dataset, part.subset, part.limit),
    part.images,
  );
}

/** A loaded dataset as the build sees it. */
export interface CalibrationSet {
  datasetId: string;
  dataset: Dataset;
  fileName: string;
}

export async function buildCompressed(
  request: BuildRequest,
  calibrationSet: CalibrationSet | null,
  onProgress?: ProgressCallback,
  signal?: AbortSignal,
): Promise<BuildResult> {
  const prepared = await prepareModel(
    new Uint8Array(request.modelBytes),
    request.inputShapes ? { inputShapes: request.inputShapes } : {},
  );
  const images = calibrationSet && calibrationImages(prepared.model, request, calibrationSet);
  const fromImages = images?.indices.length
    ? makeCalibrationBatches(prepared.model, calibrationSet!.dataset, {
        indices: images.indices,
        spec: request.spec,
      })
    : null;
  const fromArrays =
    !fromImages && request.calibrateOnArrays && request.checkData
      ? arrayCalibration(prepared.model, request.checkData)
      : null;
  const batches = fromImages ?? fromArrays?.batches ?? null;
  const source = fromArrays ?? images;
  const names = layerOutputs(
    prepared,
    request.results.map((r) => r.name),
  );
  // The original's statistics on these images are kept for the next build alike (not arrays').
  const key = fromImages && (await referenceKey(request, calibrationSet!, images!.indices));
  const built = await compressModel({
    prepared,
    results: request.results,
    output: {
      otherWeightBits: request.otherWeightBits,
      actBits: request.actBits,
      weightForm: request.weightForm,
      ...(request.latencyGuard && { latencyGuard: {} }),
    },
    calibration: batches && {
      batches,
      calibrate: request.calibrate,
      referenceStats: key ? cachedReference(key, names) : undefined,
    },
    checkData: request.checkData ?? null,
    signal,
    onProgress,
  });
  if (key && built.referenceStats) rememberReference(key, built.referenceStats);
  const statement = built.calibrated ? (source?.statement ?? null) : null;
  const warning = batches ? (source?.warning ?? null) : null;
  const notes = [statement, warning && `warning: ${warning}`].filter((n): n is string => !!n);
  return {
    bytes: built.bytes,
    report: { ...built.report, notes: [...built.report.notes, ...notes] },
    calibrated: built.calibrated,
    calibrationRuns: built.calibrationRuns,
    check: built.check,
    checkSummary: built.check && {
      ok: built.check.verdict.ok,
      text: describeCheck(built.check),
      reason: built.check.verdict.summary,
    },
    calibrationImages: fromImages ? images!.indices.length : 0,
    calibrationStatement: statement,
    calibrationWarning: warning,
    // The notes compressModel adds for them (weightFormNote, guardLatency's note), and the one
    // of a model whose weights all sit in If/Loop/Scan bodies (pipeline/quantizeOnly.ts).
    formNotes: built.report.notes.filter(
      (n) =>
        /^(latency guard:|weights written as float32|weights dequantized once at load)/.test(n) ||
        n.includes('so nothing was factorized'),
    ),
  };
}

/** Calibration on the user's arrays (a model that does not take images), said in words. */
function arrayCalibration(model: OnnxModel, set: TensorSet) {
  const batches = tensorCalibrationBatches(model, set, { images: APP_CALIBRATION_IMAGES });
  const n = batches.reduce((a, b) => a + b.dims[0], 0);
  return {
    batches,
    statement: `calibrated on ${n.toLocaleString('en-US')} samples of your arrays (${set.source}); the check runs on samples of the same arrays`,
    warning: calibrationCountWarning(n),
  };
}

/** What data-aware QAF needs of a run's calibration images (the same images the build takes). */
export interface MomentsRequest {
  /** The original model file; transferred. */
  modelBytes: ArrayBuffer;
  /** The layers whose input statistics are wanted. */
  layers: string[];
  /** The calibration images' set; null when the statistics come from `arrays`. */
  calibrationDatasetId: string | null;
  /** Without calibration images: the user's arrays for every model input (as the build's
   * calibration on arrays takes them). */
  arrays?: TensorSet | null;
  fromEvaluation?: EvaluationPart | null;
  spec?: PreprocessSpec;
  inputShapes?: Record<string, number[]> | null;
  /** As BuildRequest's. */
  separateImages?: number;
  /** The model is calibrated after compression: weigh by the centred channel moment. */
  centre: boolean;
}

export interface MomentsResult {
  /** By layer name; the arrays' buffers are transferred. */
  moments: Record<string, InputMoments>;
  /** SHA-256 of each layer's statistics (momentsHash), for the page's layer cache key. */
  hashes: Record<string, string>;
  /** Calibration images (or array samples) the statistics were taken on. */
  images: number;
  /** The arrays' files when the statistics were taken on the user's arrays, else null. */
  arraysSource: string | null;
  /** Why no statistics were taken (the published objective is used then), or null. */
  note: string | null;
}

/**
 * The input statistics of the wanted layers on this run's calibration images (one run of the
 * original model per batch), so the page can solve its QAF layers data-aware.
 */
export async function buildInputMoments(
  request: MomentsRequest,
  calibrationSet: CalibrationSet | null,
  onProgress?: ProgressCallback,
  signal?: AbortSignal,
): Promise<MomentsResult> {
  const prepared = await prepareModel(
    new Uint8Array(request.modelBytes),
    request.inputShapes ? { inputShapes: request.inputShapes } : {},
  );
  const arrays = calibrationSet ? null : (request.arrays ?? null);
  const none = (note: string): MomentsResult => ({
    moments: {},
    hashes: {},
    images: 0,
    arraysSource: null,
    note,
  });
  let batches: CalibrationBatch[];
  if (calibrationSet) {
    const source = calibrationImages(prepared.model, request, calibrationSet);
    if (!source.indices.length) return none('no calibration images for the input statistics');
    batches = makeCalibrationBatches(prepared.model, calibrationSet.dataset, {
      indices: source.indices,
      spec: request.spec,
    });
  } else if (arrays) {
    batches = arrayCalibration(prepared.model, arrays).batches;
  } else {
    return none('no calibration images or input arrays for the input statistics');
  }
  const wanted = new Set(request.layers);
  const layers = prepared.layers.filter((l) => wanted.has(l.name));
  let moments: Map<string, InputMoments>;
  try {
    moments = await collectInputMoments(await loadKernels(), prepared.model, layers, batches, {
      centre: request.centre,
      signal,
      onProgress,
    });
  } catch (e) {
    if (signal?.aborted) throw e;
    return none(`input statistics not taken (${(e as Error).message})`);
  }
  const hashes: Record<string, string> = {};
  for (const [name, m] of moments) hashes[name] = await momentsHash(m);
  return {
    moments: Object.fromEntries(moments),
    hashes,
    images: batches.reduce((a, b) => a + b.dims[0], 0),
    arraysSource: arrays?.source ?? null,
    note: null,
  };
}

/** The buffers of input statistics, to transfer them. */
export function momentBuffers(moments: Iterable<InputMoments>): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const m of moments) {
    for (const a of [m.channel, m.channelSum, m.spatial]) {
      if (a && !out.includes(a.buffer as ArrayBuffer)) out.push(a.buffer as ArrayBuffer);
    }
  }
  return out;
}

/**
 * The original model's statistics on a calibration set do not change from run to run: kept for
 * the next build of the same model on the same images (a few numbers per channel), so a repeated
 * run calibrates only its compressed model.
 */
const references = new Map<string, Map<string, ChannelStats>>();
const REFERENCES_KEPT = 4;

async function referenceKey(
  request: BuildRequest,
  set: CalibrationSet,
  indices: Int32Array,
): Promise<string> {
  const model = await sha256Hex(new Uint8Array(request.modelBytes));
  const images = await sha256Hex(
    new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength),
  );
  return JSON.stringify([model, set.datasetId, images, request.spec ?? null]);
}

/** The kept statistics when they cover every layer output wanted, else undefined. */
function cachedReference(key: string, names: readonly string[]) {
  const stats = references.get(key);
  return stats && names.every((n) => stats.has(n)) ? stats : undefined;
}

function rememberReference(key: string, stats: Map<string, ChannelStats>): void {
  const merged = new Map([...(references.get(key) ?? []), ...stats]);
  references.delete(key);
  references.set(key, merged);
  while (references.size > REFERENCES_KEPT) references.delete(references.keys().next().value!);
}

/**
 * The calibration images of this build and how to say where they came from. A set whose images
 * cannot feed the model is refused here, before the model is written.
 */
function calibrationImages(
  model: OnnxModel,
  request: Pick<BuildRequest, 'fromEvaluation' | 'separateImages'>,
  set: CalibrationSet,
): { indices: Int32Array; statement: string; warning: string | null } {
  const problem = calibrationDataProblem(modelInputShape(model), set.dataset);
  if (problem) throw new Error(problem);
  if (request.fromEvaluation) {
    const split = evaluationSplit(set.dataset, request.fromEvaluation);
    return { indices: split.calibration, statement: split.statement, warning: split.warning };
  }
  const count = Math.min(request.separateImages ?? APP_CALIBRATION_IMAGES, set.dataset.count);
  return {
    indices: subsetIndices(set.dataset, 'quick', count),
    statement: `calibrated on ${count.toLocaleString('en-US')} images of ${set.fileName} (a separate set)`,
    warning: calibrationCountWarning(count),
  };
}

/**
 * Bytes that own their whole buffer, safe to transfer. A small model (under 4 KB) written by
 * protobufjs in the browser is a view into its shared 8 KB allocation pool: transferring that
 * view's buffer detaches the pool, and the worker's next writeModel fails with "Cannot perform
 * Construct on a detached ArrayBuffer" (a second run, or any sweep point, on a small model).
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : // A copy even of a Node Buffer (whose slice() is a view).
      new Uint8Array(bytes);
}
