// The one pipeline every shell runs: factorize the allocated layers, write the compressed model,
// calibrate it, and check that the file loads and runs next to the original. The worker, the CLI
// and the sweep call it (or its stages) and add only their own concerns: transfer, files, caches.
import type { ChannelStats } from '../calibrate/channelStats.ts';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import type { TensorSet } from '../data/tensors.ts';
import { type CompressHooks, compressLayer } from '../factor/compressLayer.ts';
import type { InputMoments } from '../factor/inputMoments.ts';
import { type Allocation, allocationJobs, type JobSettings } from '../factor/modelJobs.ts';
import type { CompressJob, LayerProgress, LayerResult } from '../factor/types.ts';
import type { Kernels } from '../kernels/types.ts';
import { readModel, writeModel } from '../onnx/reader.ts';
import type { CompressionReport } from '../rewrite/types.ts';
import { weightFormNote, withWeightForm } from '../rewrite/weightForm.ts';
import type { ProgressCallback } from '../util/progress.ts';
import { FLOAT_BITS } from '../util/units.ts';
import { type CalibrationSettings, calibrateCompressedModel } from './calibrate.ts';
import { checkWrittenModel, describeCheck, ptqPeerBytes, type RunCheck } from './check.ts';
import { restoreFloatInterface } from './floatInterface.ts';
import { objectiveNotes, withInputMoments } from './inputMoments.ts';
import { guardLatency } from './latencyGuard.ts';
import { layerTensors } from './layerBlame.ts';
import { largestActivationBytes, MAX_RUN_ACTIVATION_BYTES, type PreparedModel } from './prepare.ts';
import { quantizeOnlyRun } from './quantizeOnly.ts';
import { type OutputSettings, writeCompressedModel } from './write.ts';

/** How the layers are factorized: one after another here, or a worker pool in the app. */
export type Factorizer = (
  jobs: CompressJob[],
  hooks: { onLayer?: (p: LayerProgress) => void; signal?: AbortSignal },
) => Promise<LayerResult[]>;

export interface CompressModelInput {
  prepared: PreparedModel;
  /** Needed to factorize; the rewrite's PTQ of other layers defaults to plain JS (same bits). */
  kernels?: Kernels;
  /** What to compress; not needed when `results` are given. */
  allocation?: Allocation;
  /** Layer results computed elsewhere (the app's worker pool, a cache); skips factorizing. */
  results?: readonly LayerResult[];
  factorize?: Factorizer;
  output?: OutputSettings;
  /** Calibration images: activation ranges, calibration after compression and the check run. */
  calibration?: {
    batches: readonly CalibrationBatch[];
    /** Other images for the activation ranges (default: `batches`). */
    actBatches?: readonly CalibrationBatch[];
    /** Calibrate after compression (default true). */
    calibrate?: boolean;
    settings?: CalibrationSettings;
    referenceStats?: Map<string, ChannelStats>;
  } | null;
  /** Data-aware QAF: input statistics by layer (default: collected from the calibration batches). */
  inputMoments?: ReadonlyMap<string, InputMoments>;
  /** Load and run the written model next to the original (default true). */
  check?: boolean;
  /** The user's arrays for every input, fed to the check (instead of calibration batches). */
  checkData?: TensorSet | null;
  /** Also run an 8-bit per-channel PTQ of the same layers and judge against it (default true). */
  checkPeer?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  onLayer?: (progress: LayerProgress) => void;
}

export interface CompressModelOutput {
  bytes: Uint8Array;
  report: CompressionReport;
  results: LayerResult[];
  calibrated: boolean;
  /** Model runs the calibration made (0 when not calibrated). */
  calibrationRuns: number;
  referenceStats: Map<string, ChannelStats> | null;
  /** The written model run next to the original; null when the check was turned off. */
  check: RunCheck | null;
}

export async function compressModel(input: CompressModelInput): Promise<CompressModelOutput> {
  const { prepared, signal, onProgress } = input;
  // No main-graph layer, weights in bodies: those are quantized alone (quantizeOnly.ts).
  const only = quantizeOnlyRun(prepared, input.allocation?.settings.method, input.output);
  const results = input.results ? [...input.results] : only ? [] : await factorizeAll(input);
  if (results.length === 0 && !only)
    throw new Error('no layer to compress: the selection is empty');
  signal?.throwIfAborted();
  onProgress?.({ status: 'rewriting', loaded: 0, total: 1, progress: 0 });
  const batches = input.calibration?.batches ?? null;
  const output = only ? { ...input.output, otherWeightBits: only.bits } : (input.output ?? {});
  const actBatches = input.calibration?.actBatches ?? batches;
  const written = await writeCompressedModel(prepared, results, output, actBatches, input.kernels);
  let bytes = written.bytes;
  let report = written.report;
  onProgress?.({ status: 'rewriting', loaded: 1, total: 1, progress: 1 });
  let calibrationRuns = 0;
  let referenceStats: Map<string, ChannelStats> | null = null;
  const calibrate = batches?.length && (input.calibration?.calibrate ?? true) && !only;
  if (only) report = { ...report, notes: [only.note, ...report.notes] };
  if (calibrate) {
    const done = await calibrateCompressedModel(
      prepared,
      { bytes, report },
      results.map((r) => r.name),
      batches,
      {
        ...input.calibration?.settings,
        referenceStats: input.calibration?.referenceStats,
        signal,
        onProgress,
      },
    );
    ({ bytes, report } = done);
    calibrationRuns = done.runs;
    referenceStats = done.referenceStats;
  }
  // A latency guard needs weights folded at load: merged layers compute theirs from the factors.
  const form = output.weightForm ?? (output.latencyGuard ? 'load' : 'dequantize');
  const formed = withWeightForm(bytes, form);
  bytes = formed.bytes;
  if (formed.changed)
    report = { ...report, notes: [...report.notes, weightFormNote(form, formed.changed)] };
  // With 8-bit activations the weights stay DequantizeLinear whatever the form (weightForm.ts):
  // the guard then times that form, and merged layers fold their own factors at load.
  const actBits = output.actBits ?? FLOAT_BITS;
  if (output.latencyGuard && (form !== 'dequantize' || actBits < FLOAT_BITS)) {
    const settings = { ...output.latencyGuard, actBits };
    const guard = await guardLatency(prepared, results, bytes, settings);
    bytes = guard.bytes;
    report = { ...report, notes: [...report.notes, guard.note] };
  }
  // The file says how it was made; the report's size stays the file's.
  const allocation = input.allocation ?? (results.length ? allocationOfResults(results) : null);
  if (allocation) bytes = withAllocationMetadata(bytes, allocation);
  report = {
    ...report,
    // What the validator flagged without refusing (outliers, symbolic input dims) comes first.
    notes: [...prepared.warnings, ...report.notes, ...objectiveNotes(results)],
    totals: { ...report.totals, sizeBytes: bytes.length },
  };
  let check: RunCheck | null = null;
  const activationBytes = largestActivationBytes(prepared);
  if ((input.check ?? true) && activationBytes > MAX_RUN_ACTIVATION_BYTES) {
    const mb = Math.round(activationBytes / 2 ** 20);
    report = {
      ...report,
      notes: [
        ...report.notes,
        `not checked in onnxruntime: one sample at the model's declared input size needs a ${mb} MB activation (over ${MAX_RUN_ACTIVATION_BYTES / 2 ** 20} MB); check the file at a smaller input size yourself`,
      ],
    };
  } else if (input.check ?? true) {
    onProgress?.({ status: 'checking', loaded: 0, total: 1, progress: 0 });
    const peerBytes =
      (input.checkPeer ?? true)
        ? await ptqPeerBytes(prepared, results, output, actBatches, input.kernels)
        : null;
    // A float16/double original is compared through its float32 twin here, and the file with
    // the original's types next to the original itself below.
    const reference = prepared.floatInterface ? prepared.bytes : prepared.sourceBytes;
    check = await checkWrittenModel(prepared.model, reference, bytes, batches, {
      peerBytes,
      data: input.checkData,
      inputShapes: prepared.inputShapes,
      layers: layerTensors(
        prepared,
        results.map((r) => r.name),
      ),
    });
    report = { ...report, notes: [...report.notes, describeCheck(check)] };
    onProgress?.({ status: 'checking', loaded: 1, total: 1, progress: 1 });
  }
  if (prepared.floatInterface) {
    const restored = await restoreFloatInterface(
      prepared,
      prepared.floatInterface,
      bytes,
      check !== null,
    );
    bytes = restored.bytes;
    report = {
      ...report,
      notes: [...report.notes, restored.note],
      totals: { ...report.totals, sizeBytes: bytes.length },
    };
  }
  return {
    bytes,
    report,
    results,
    calibrated: Boolean(calibrate),
    calibrationRuns,
    referenceStats,
    check,
  };
}

async function factorizeAll(input: CompressModelInput): Promise<LayerResult[]> {
  if (!input.allocation) throw new Error('compressModel needs an allocation or layer results');
  const allocated = allocationJobs(input.prepared.model, input.prepared.layers, input.allocation);
  if (allocated.length === 0) throw new Error('no layer matches the selection');
  const jobs = await withInputMoments(allocated, {
    ...input,
    batches: input.calibration?.batches,
    calibrated:
      Boolean(input.calibration?.batches?.length) && (input.calibration?.calibrate ?? true),
  });
  if (!input.factorize && !input.kernels)
    throw new Error('compressModel needs kernels to factorize');
  const factorize = input.factorize ?? sequentialFactorizer(input.kernels!);
  return factorize(jobs, { onLayer: input.onLayer, signal: input.signal });
}

/** Layers one after another on this thread; a cancel stops between layers. */
export function sequentialFactorizer(kernels: Kernels): Factorizer {
  return async (jobs, hooks) => {
    const results: LayerResult[] = [];
    for (const job of jobs) {
      hooks.signal?.throwIfAborted();
      const compressHooks: CompressHooks = {
        onProgress: hooks.onLayer,
        shouldStop: () => hooks.signal?.aborted ?? false,
      };
      results.push(compressLayer(kernels, job, compressHooks));
    }
    hooks.signal?.throwIfAborted();
    return results;
  };
}

/** The compressed model's metadata_props key whose value says how it was made (JSON). */
export const ALLOCATION_METADATA_KEY = 'qaf.allocation';
/** The `format` field of an allocation file and of the metadata value. */
export const ALLOCATION_FORMAT = 'qaf.allocation';
export const ALLOCATION_FORMAT_VERSION = 1;

/**
 * An allocation as JSON: the file `qaf allocate` writes and the metadata entry of every written
 * model (parsed and validated by src/core/allocate/allocation.ts). It lives here, not there,
 * because the pipeline writes it and may not import the level above it. A RegExp selection is
 * kept as its source and flags.
 */
export function allocationJson(allocation: Allocation, space?: number): string {
  const { layers, ...selection } = allocation.selection ?? {};
  const doc = {
    format: ALLOCATION_FORMAT,
    version: ALLOCATION_FORMAT_VERSION,
    settings: allocation.settings,
    selection: allocation.selection && {
      ...selection,
      layers: layers && { source: layers.source, flags: layers.flags },
    },
    overrides: allocation.overrides,
  };
  return JSON.stringify(doc, null, space);
}

/**
 * What a list of results is, as an allocation: every layer by name with its method, explicit
 * rank and bits (the app's worker pool and `qaf compress` hand over results, not allocations).
 */
export function allocationOfResults(results: readonly LayerResult[]): Allocation {
  const overrides: Record<string, Partial<JobSettings>> = {};
  for (const r of results) {
    const factors = r.groups?.[0]?.factors ?? r.factors;
    const perChannel = factors.length === 1 && factors[0].scales !== undefined;
    const component = factors.some((f) => f.columnScales !== undefined);
    overrides[r.name] = {
      method: r.method,
      bits: r.bits,
      ...(r.rank > 0 && { rank: r.rank }),
      ...(perChannel && { perChannel }),
      ...(r.method === 'admm' && {
        scales: component ? ('component' as const) : ('factor' as const),
      }),
    };
  }
  const first = results[0];
  return {
    settings: { method: first.method, bits: first.bits },
    selection: { names: results.map((r) => r.name) },
    overrides,
  };
}

/** The model with its allocation entry in metadata_props (an older entry is replaced). */
export function withAllocationMetadata(bytes: Uint8Array, allocation: Allocation): Uint8Array {
  const model = readModel(bytes);
  const others = (model.metadataProps ?? []).filter((p) => p.key !== ALLOCATION_METADATA_KEY);
  model.metadataProps = [
    ...others,
    { key: ALLOCATION_METADATA_KEY, value: allocationJson(allocation) },
  ];
  return writeModel(model);
}
