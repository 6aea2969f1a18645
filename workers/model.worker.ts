// The model worker: parses ONNX files off the main thread and keeps the parsed models (and
// their bytes) by id, so the page only ever holds summaries. A thin comlink shell over the core.
import './lifeline.ts'; // first: its lock is taken before the heavier modules load
import * as Comlink from 'comlink';
import { type NpyArray, parseNpyArray } from '../src/core/data/npy.ts';
import {
  modelInputSpecs,
  parseNpyZip,
  type TensorSet,
  tensorSetFromArrays,
} from '../src/core/data/tensors.ts';
import { DEFAULT_DATASET_LIMITS } from '../src/core/data/zipImages.ts';
import {
  activeThreads,
  configureOrt,
  createSession,
  runtimeName,
} from '../src/core/eval/session.ts';
import { type Allocation, type JobSettings, modelLayerJobs } from '../src/core/factor/modelJobs.ts';
import type { CompressJob } from '../src/core/factor/types.ts';
import {
  analyzeModel,
  normalizeModel,
  type OnnxModel,
  readModel,
  writeModel,
} from '../src/core/onnx/index.ts';
import { type PreflightReport, preflight } from '../src/core/pipeline/preflight.ts';
import { prepareModel } from '../src/core/pipeline/prepare.ts';
import type { OutputSettings } from '../src/core/pipeline/write.ts';
import type {
  InputShapes,
  ModelOverview,
  QuantizedOnlyWeights,
  RuntimeCheck,
} from './protocol/modelTypes.ts';
import { quantizedOnlyCensus } from './quantizedOnlyCensus.ts';

interface LoadedModel {
  /** What a run quantizes only, counted once at open (quantizedOnlyCensus.ts). */
  quantizedOnly: QuantizedOnlyWeights;
  fileName: string;
  /** Size of the file the user opened. */
  sizeBytes: number;
  /** The normalised model (src/core/onnx/normalize.ts) and its bytes: what the pipeline gets. */
  bytes: Uint8Array;
  model: OnnxModel;
  /** What normalisation changed, kept for every later overview. */
  normalization: string[];
}

const models = new Map<string, LoadedModel>();

// The runtime is served from our own origin (scripts/copyOrt.mjs): the app must work offline.
const wasmPaths = new URL(`${import.meta.env.BASE_URL}ort/`, self.location.origin).href;
configureOrt({ wasmPaths });

async function overview(
  modelId: string,
  entry: LoadedModel,
  inputShapes: InputShapes | null,
): Promise<ModelOverview> {
  // Static inference first; onnxruntime runs the model only if an op had no static rule.
  const { layers, summary } = await analyzeModel(entry.model, {
    inputShapes: inputShapes ?? undefined,
  });
  return {
    modelId,
    fileName: entry.fileName,
    sizeBytes: entry.sizeBytes,
    summary: { ...summary, normalization: entry.normalization },
    layers,
    inputShapes,
    quantizedOnly: entry.quantizedOnly,
  };
}

function loaded(modelId: string): LoadedModel {
  const entry = models.get(modelId);
  if (!entry)
    throw new Error(`model ${modelId} is not loaded (it was closed or the worker restarted)`);
  return entry;
}

const api = {
  /** Parses a model file (its buffer is transferred, not copied) and keeps it under a new id. */
  async open(buffer: ArrayBuffer, fileName: string): Promise<ModelOverview> {
    const bytes = new Uint8Array(buffer);
    const source = readModel(bytes);
    // Normalised once here, so the layer names and weights the page, the jobs and the pipeline
    // (which gets these bytes) see are the same.
    const { model, notes } = normalizeModel(source);
    const normalized = model === source ? bytes : writeModel(model);
    const entry: LoadedModel = {
      fileName,
      sizeBytes: bytes.byteLength,
      bytes: normalized,
      model,
      normalization: notes,
      quantizedOnly: quantizedOnlyCensus(normalized, model),
    };
    const modelId = crypto.randomUUID();
    const result = await overview(modelId, entry, null);
    models.set(modelId, entry);
    return result;
  },

  /** Re-runs shape inference with concrete input shapes (for models with symbolic dims). */
  reshape(modelId: string, inputShapes: InputShapes): Promise<ModelOverview> {
    return overview(modelId, loaded(modelId), inputShapes);
  },

  /** Creates (then releases) an onnxruntime-web session: proves the model runs here. */
  async checkRuntime(modelId: string): Promise<RuntimeCheck> {
    const { bytes } = loaded(modelId);
    const startMs = performance.now();
    const session = await createSession(bytes, { wasmPaths });
    const createMs = performance.now() - startMs;
    await session.release();
    return { runtime: runtimeName, threads: activeThreads(), createMs };
  },

  /** Compression jobs (weights decoded to float32, transferred) for the named layers. */
  jobs(modelId: string, settings: JobSettings, layerNames: readonly string[]): CompressJob[] {
    const wanted = new Set(layerNames);
    const { model } = loaded(modelId);
    const all = modelLayerJobs(model, settings, { layers: /(?:)/ });
    const jobs = all
      .filter((job) => wanted.has(job.name))
      .map((job) => ({ ...job, weight: job.weight.slice() }));
    return Comlink.transfer(
      jobs,
      jobs.map((job) => job.weight.buffer as ArrayBuffer),
    );
  },

  /**
   * A copy of the (normalised) model's bytes: the rewrite and evaluation run in the eval worker,
   * whose prepareModel finds the same layers in them.
   */
  bytes(modelId: string): ArrayBuffer {
    const copy = loaded(modelId).bytes.slice();
    return Comlink.transfer(copy.buffer, [copy.buffer]);
  },

  /**
   * The pipeline's preflight (src/core/pipeline/preflight.ts), to call before any layer is
   * factorized: rejects with one sentence and a suggestion when the file this run asks for could
   * not be written or loaded (nothing selected, an op that cannot reach the opset INT4 needs).
   */
  async preflight(
    modelId: string,
    allocation: Allocation,
    output: OutputSettings = {},
  ): Promise<PreflightReport> {
    const prepared = await prepareModel(loaded(modelId).bytes);
    return preflight(prepared, allocation, output);
  },

  /**
   * The user's arrays for this model's inputs (one .npy per input, named after it, or a .npz of
   * them; the CLI's --inputs): matched by the core (src/core/data/tensors.ts), whose errors name
   * the array, the input and both shapes. The arrays come back to the page for the check.
   */
  inputArrays(modelId: string, files: readonly { name: string; bytes: ArrayBuffer }[]): TensorSet {
    const spec = modelInputSpecs(loaded(modelId).model);
    const arrays = new Map<string, NpyArray>();
    for (const file of files) {
      const add = (name: string, array: NpyArray) => {
        if (arrays.has(name)) throw new Error(`two arrays are named "${name}" (in ${file.name})`);
        arrays.set(name, array);
      };
      const bytes = new Uint8Array(file.bytes);
      try {
        if (/\.npy$/i.test(file.name)) add(file.name.replace(/\.npy$/i, ''), parseNpyArray(bytes));
        else if (/\.(npz|zip)$/i.test(file.name)) {
          for (const [name, array] of parseNpyZip(bytes, DEFAULT_DATASET_LIMITS)) add(name, array);
        } else throw new Error('not a .npy, or a .npz of .npy arrays');
      } catch (err) {
        throw new Error(`${file.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return tensorSetFromArrays(arrays, spec);
  },

  close(modelId: string): void {
    models.delete(modelId);
  },
};

export type ModelWorkerApi = typeof api;

Comlink.expose(api);
