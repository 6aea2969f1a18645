// Any model against its reference on the user's arrays (src/core/data/tensors.ts): every input
// fed by name, every output compared (outputs.ts). The evaluation for models that are not
// single-input image classifiers: multi-input, audio, detection, segmentation.
import * as ort from 'onnxruntime-web/wasm';
import type { InputBatch, TensorSet } from '../data/tensors.ts';
import { tensorBatch } from '../data/tensors.ts';
import { createThrottledProgress, type ProgressCallback } from '../util/progress.ts';
import {
  DEFAULT_MAP_THRESHOLD,
  OutputAccumulator,
  type OutputMetrics,
  type OutputValues,
} from './outputs.ts';
import { createSession, type RuntimeOptions } from './session.ts';

export interface CompareOptions {
  modelBytes: Uint8Array;
  referenceBytes: Uint8Array;
  data: TensorSet;
  /** Samples to compare, in order. Default: all. */
  indices?: ArrayLike<number>;
  /** Samples per run for inputs whose batch dim is not fixed (default 16). */
  batchSize?: number;
  /** Probability maps: the value a pixel counts as "on" above (default 0.5). */
  threshold?: number;
  runtime?: RuntimeOptions;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface CompareReport {
  samples: number;
  outputs: OutputMetrics[];
  /** Where the inputs came from (file names). */
  source: string;
}

/** The feeds of one batch as onnxruntime tensors. */
export function ortFeeds(batch: ReadonlyMap<string, InputBatch>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, b] of batch) feeds[name] = new ort.Tensor(b.type, b.data as never, b.dims);
  return feeds;
}

async function open(bytes: Uint8Array, label: string, runtime?: RuntimeOptions) {
  try {
    return await createSession(bytes, runtime);
  } catch (err) {
    const reason = (err as Error).message.replace(/^.*ERROR_MESSAGE: /s, '');
    throw new Error(`cannot load the ${label} as ONNX: ${reason}`);
  }
}

/** The fixed batch size the model's inputs declare, or null when it is free. */
function fixedBatch(session: ort.InferenceSession): number | null {
  for (const meta of session.inputMetadata) {
    const d = meta.isTensor ? meta.shape[0] : undefined;
    if (typeof d === 'number' && d > 0) return d;
  }
  return null;
}

export async function compareModels(options: CompareOptions): Promise<CompareReport> {
  const { data, signal } = options;
  const indices = options.indices ?? Array.from({ length: data.count }, (_, i) => i);
  if (indices.length === 0) throw new RangeError('nothing to compare: no sample chosen');
  const model = await open(options.modelBytes, 'model', options.runtime);
  const reference = await open(options.referenceBytes, 'reference model', options.runtime).catch(
    async (err) => {
      await model.release();
      throw err;
    },
  );
  try {
    const fixed = fixedBatch(reference);
    const chunk = fixed ?? Math.max(1, options.batchSize ?? 16);
    const acc = new OutputAccumulator(options.threshold ?? DEFAULT_MAP_THRESHOLD);
    const report = createThrottledProgress('comparing outputs', indices.length, options.onProgress);
    report(0);
    for (let start = 0; start < indices.length; start += chunk) {
      signal?.throwIfAborted();
      const n = Math.min(chunk, indices.length - start);
      // A fixed batch dim is filled by repeating the last sample; the extra rows are ignored.
      const size = fixed ?? n;
      const rows = Array.from({ length: size }, (_, k) => indices[start + Math.min(k, n - 1)]);
      const feeds = ortFeeds(tensorBatch(data, rows));
      await runBoth(reference, model, feeds, (name, a, b) => acc.add(name, a, b, n, size));
      report(start + n);
    }
    report(indices.length, 'done');
    return { samples: indices.length, outputs: acc.result(), source: data.source };
  } finally {
    await model.release();
    await reference.release();
  }
}

/** Runs both sessions on the same feeds and hands each output pair over, then frees them. */
export async function runBoth(
  reference: ort.InferenceSession,
  model: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  onOutput: (name: string, reference: OutputValues, model: OutputValues) => void,
): Promise<void> {
  const a = await reference.run(feeds);
  try {
    const b = await model.run(feeds);
    try {
      for (const name of reference.outputNames) {
        const x = a[name];
        const y = b[name];
        if (!y) throw new Error(`the model has no output "${name}" (the reference has)`);
        if (Array.isArray(x.data)) continue; // string tensors have nothing to compare
        onOutput(name, x as OutputValues, y as OutputValues);
      }
    } finally {
      for (const t of Object.values(b)) t.dispose();
    }
  } finally {
    for (const t of Object.values(a)) t.dispose();
  }
}
