// Accuracy, agreement with a reference model, KL and latency, all in onnxruntime-web.
import type * as ort from 'onnxruntime-web/wasm';
import { defaultPreprocessSpec, makeBatch, specChannels } from '../data/preprocess.ts';
import { rangeIndices } from '../data/subset.ts';
import type { Dataset, PreprocessSpec } from '../data/types.ts';
import { createThrottledProgress, type ProgressCallback } from '../util/progress.ts';
import { ScoreAccumulator, type ScoreTotals } from './accumulate.ts';
import { type LatencyStats, measureLatency } from './latency.ts';
import {
  activeThreads,
  createSession,
  describeInput,
  type RuntimeOptions,
  runScores,
  runtimeName,
} from './session.ts';

export interface EvaluateOptions {
  modelBytes: Uint8Array;
  /** The original model: enables agreement, KL and a reference latency. */
  referenceBytes?: Uint8Array;
  dataset: Dataset;
  /** Default: guessed from the model's input shape (defaultPreprocessSpec). */
  spec?: PreprocessSpec;
  /** Images to evaluate, in order. Default: all. */
  indices?: ArrayLike<number>;
  /** Images per inference for models with a dynamic batch dim. */
  batchSize?: number;
  /** Timed single-image runs per model (0 skips latency). */
  latencyRuns?: number;
  warmupRuns?: number;
  runtime?: RuntimeOptions;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** Score totals (accuracy, top5, agreement, klDiv, predictions) plus timing and settings. */
export interface EvalReport extends ScoreTotals {
  latencyMs: LatencyStats | null;
  referenceLatencyMs: LatencyStats | null;
  threads: number;
  runtime: string;
  /** Images per inference in the latency runs. */
  batch: number;
  spec: PreprocessSpec;
}

const WARMUP_RUNS = 3;

interface Plan {
  spec: PreprocessSpec;
  dims: (n: number) => number[];
  /** Images per inference; `fixed` when the model's batch dim is a constant. */
  chunk: number;
  fixed: boolean;
}

function planInputs(sessions: ort.InferenceSession[], options: EvaluateOptions): Plan {
  const shapes = sessions.map((s) => describeInput(s).shape);
  const spec = options.spec ?? defaultPreprocessSpec(shapes[0], options.dataset);
  const channels = specChannels(spec);
  const fixedBatches = [
    ...new Set(shapes.map((s) => s[0]).filter((d) => typeof d === 'number' && d > 0)),
  ];
  if (fixedBatches.length > 1) {
    throw new Error(`the models have different fixed batch sizes (${fixedBatches.join(', ')})`);
  }
  const fixed = fixedBatches.length === 1;
  const chunk = fixed ? (fixedBatches[0] as number) : Math.max(1, options.batchSize ?? 100);
  const { width, height } = spec;
  const dims = (n: number) =>
    spec.layout === 'NCHW' ? [n, channels, height, width] : [n, height, width, channels];
  return { spec, dims, chunk, fixed };
}

/** ort's own message ("ERROR_CODE: 7, ...") does not say which of the two files was bad. */
async function openSession(bytes: Uint8Array, label: string, runtime: RuntimeOptions) {
  try {
    return await createSession(bytes, runtime);
  } catch (err) {
    const reason = (err as Error).message.replace(/^.*ERROR_MESSAGE: /s, '');
    throw new Error(`cannot load the ${label} as ONNX: ${reason}`);
  }
}

export async function evaluateModel(options: EvaluateOptions): Promise<EvalReport> {
  const images = options.indices?.length ?? options.dataset.count;
  if (images === 0) {
    // A report of zero images has no accuracy to show: say so instead of printing nulls.
    throw new RangeError('nothing to evaluate: the dataset (or the chosen subset) has no images');
  }
  const runtime = { ...options.runtime };
  const model = await openSession(options.modelBytes, 'model', runtime);
  const sessions = [model];
  try {
    if (options.referenceBytes) {
      sessions.push(await openSession(options.referenceBytes, 'reference model', runtime));
    }
    const plan = planInputs(sessions, options);
    const indices = options.indices ?? rangeIndices(options.dataset.count);
    const latencyRuns = indices.length > 0 ? (options.latencyRuns ?? 30) : 0;
    const total = indices.length + latencyRuns;
    const report = createThrottledProgress('evaluating', total, options.onProgress);
    report(0);
    const scores = await scoreAll(model, sessions[1] ?? null, plan, indices, options, report);
    const latency =
      latencyRuns > 0
        ? await timeSessions(sessions, plan, indices[0], latencyRuns, options, (done) =>
            report(indices.length + done, 'measuring latency'),
          )
        : [];
    report(total, 'done');
    return {
      ...scores.result(),
      latencyMs: latency[0] ?? null,
      referenceLatencyMs: latency[1] ?? null,
      threads: activeThreads(),
      runtime: runtimeName,
      batch: plan.fixed ? plan.chunk : 1,
      spec: plan.spec,
    };
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}

/** Latency on one image (repeated to fill a fixed batch dim), all sessions interleaved. */
function timeSessions(
  sessions: ort.InferenceSession[],
  plan: Plan,
  imageIndex: number,
  runs: number,
  options: EvaluateOptions,
  onRun: (done: number) => void,
): Promise<LatencyStats[]> {
  const one = new Array<number>(plan.fixed ? plan.chunk : 1).fill(imageIndex);
  const input = makeBatch(options.dataset, plan.spec, one);
  onRun(0);
  return measureLatency(sessions, input, plan.dims(one.length), {
    runs,
    warmupRuns: options.warmupRuns ?? WARMUP_RUNS,
    signal: options.signal,
    onRun,
  });
}

async function scoreAll(
  model: ort.InferenceSession,
  reference: ort.InferenceSession | null,
  plan: Plan,
  indices: ArrayLike<number>,
  options: EvaluateOptions,
  report: (loaded: number) => void,
): Promise<ScoreAccumulator> {
  const { dataset, signal } = options;
  const acc = new ScoreAccumulator(indices.length, dataset.labels, dataset.classNames);
  for (let start = 0; start < indices.length; start += plan.chunk) {
    signal?.throwIfAborted();
    const n = Math.min(plan.chunk, indices.length - start);
    // A fixed batch dim is filled up by repeating the last image; the extra rows are ignored.
    const batchSize = plan.fixed ? plan.chunk : n;
    const batchIndices = Array.from(
      { length: batchSize },
      (_, k) => indices[start + Math.min(k, n - 1)],
    );
    const input = makeBatch(dataset, plan.spec, batchIndices);
    const dims = plan.dims(batchSize);
    const out = await runScores(model, input, dims);
    const ref = reference ? await runScores(reference, input, dims) : null;
    acc.add(batchIndices.slice(0, n), out, ref);
    report(start + n);
  }
  return acc;
}
