// The house rule "a file we write is a file that runs": the written model is loaded in
// onnxruntime and run next to the original on the same inputs (calibration images, or generated
// inputs when there are none) before anyone reports success. A load failure or non-finite
// outputs are errors; the output differences are reported with the result.
import * as ort from 'onnxruntime-web/wasm';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import { createSession } from '../eval/session.ts';
import { graphInputs } from '../onnx/graphInputs.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { normalSampler } from '../util/prng.ts';

/** The written model does not load or does not compute numbers; the message says which. */
export class WrittenModelError extends Error {
  override name = 'WrittenModelError';
}

export interface OutputDifference {
  name: string;
  /** ||compressed - original|| / ||original|| over the checked samples. */
  relativeL2: number;
  cosine: number;
}

export interface RunCheck {
  /** 'calibration images' or 'generated inputs' (random: a check that it runs, not a score). */
  inputs: string;
  samples: number;
  outputs: OutputDifference[];
  /** Top-1 agreement of the first output when it holds class scores [N, C]; else null. */
  agreement: number | null;
}

/** Samples fed by the check (it proves loading and running; evaluation measures accuracy). */
const CHECK_SAMPLES = 8;

type Feeds = Record<string, ort.Tensor>;

export async function checkWrittenModel(
  model: OnnxModel,
  originalBytes: Uint8Array,
  writtenBytes: Uint8Array,
  batches: readonly CalibrationBatch[] | null,
): Promise<RunCheck> {
  let written: ort.InferenceSession;
  try {
    written = await createSession(writtenBytes);
  } catch (err) {
    throw new WrittenModelError(
      `the compressed model does not load in onnxruntime, so it was not reported as a success: ${firstLine(err)}`,
    );
  }
  const original = await createSession(originalBytes);
  try {
    const { feeds, inputs, samples } = checkFeeds(model, original, batches);
    const a = await original.run(feeds);
    let b: ort.InferenceSession.OnnxValueMapType;
    try {
      b = await written.run(feeds);
    } catch (err) {
      throw new WrittenModelError(
        `the compressed model loads but fails to run in onnxruntime: ${firstLine(err)}`,
      );
    }
    const outputs = original.outputNames.map((name) => difference(name, a[name], b[name]));
    const bad = outputs.find((o) => !Number.isFinite(o.relativeL2));
    if (bad) {
      throw new WrittenModelError(
        `the compressed model computes non-finite values for output "${bad.name}"`,
      );
    }
    const first = original.outputNames[0];
    return { inputs, samples, outputs, agreement: agreement(a[first], b[first]) };
  } finally {
    await written.release();
    await original.release();
  }
}

function checkFeeds(
  model: OnnxModel,
  session: ort.InferenceSession,
  batches: readonly CalibrationBatch[] | null,
): { feeds: Feeds; inputs: string; samples: number } {
  const first = batches?.[0];
  if (first && session.inputNames.length === 1) {
    const per = first.data.length / first.dims[0];
    // A batch dim fixed by the model keeps its size; otherwise a few samples are enough.
    const fixed = graphInputs(model)[0]?.type?.tensorType?.shape?.dim?.[0]?.dimValue;
    const n = fixed ? first.dims[0] : Math.min(first.dims[0], CHECK_SAMPLES);
    const data = first.data.subarray(0, n * per);
    const feeds = {
      [session.inputNames[0]]: new ort.Tensor('float32', data, [n, ...first.dims.slice(1)]),
    };
    return { feeds, inputs: 'calibration images', samples: n };
  }
  return { feeds: generatedFeeds(model), inputs: 'generated inputs', samples: 1 };
}

/** Seeded normal noise for float inputs, zeros for integer ones; symbolic dims as 1. */
function generatedFeeds(model: OnnxModel): Feeds {
  const next = normalSampler(1);
  const feeds: Feeds = {};
  for (const input of graphInputs(model)) {
    const t = input.type?.tensorType;
    const dims = (t?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0) || 1);
    const count = dims.reduce((a, b) => a * b, 1);
    const name = input.name ?? '';
    switch (t?.elemType) {
      case 1:
        feeds[name] = new ort.Tensor('float32', Float32Array.from({ length: count }, next), dims);
        break;
      case 7:
        feeds[name] = new ort.Tensor('int64', new BigInt64Array(count), dims);
        break;
      case 6:
        feeds[name] = new ort.Tensor('int32', new Int32Array(count), dims);
        break;
      default:
        throw new WrittenModelError(
          `input "${name}" has element type ${t?.elemType}, which the check cannot generate; ` +
            'give calibration images to check the written model',
        );
    }
  }
  return feeds;
}

function numbers(value: ort.Tensor | undefined): Float64Array | null {
  if (!value || typeof value.data === 'string' || !('length' in value.data)) return null;
  const data = value.data as ArrayLike<number | bigint>;
  return Float64Array.from({ length: data.length }, (_, i) => Number(data[i]));
}

function difference(name: string, a?: ort.Tensor, b?: ort.Tensor): OutputDifference {
  const x = numbers(a);
  const y = numbers(b);
  if (!x || !y || x.length !== y.length) {
    return { name, relativeL2: Number.NaN, cosine: Number.NaN };
  }
  let dd = 0;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < x.length; i++) {
    dd += (y[i] - x[i]) ** 2;
    xx += x[i] * x[i];
    yy += y[i] * y[i];
    xy += x[i] * y[i];
  }
  const relativeL2 = xx > 0 ? Math.sqrt(dd / xx) : Math.sqrt(dd);
  const cosine = xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : Number.NaN;
  return { name, relativeL2: Number.isFinite(yy) ? relativeL2 : Number.NaN, cosine };
}

/** Top-1 agreement when the output is [N, C] scores with C > 1. */
function agreement(a?: ort.Tensor, b?: ort.Tensor): number | null {
  if (!a || !b || a.dims.length !== 2 || a.dims[1] < 2) return null;
  const x = numbers(a)!;
  const y = numbers(b)!;
  const [n, c] = a.dims;
  let same = 0;
  for (let i = 0; i < n; i++) {
    if (argmax(x, i * c, c) === argmax(y, i * c, c)) same++;
  }
  return same / n;
}

function argmax(v: Float64Array, start: number, count: number): number {
  let best = 0;
  for (let j = 1; j < count; j++) if (v[start + j] > v[start + best]) best = j;
  return best;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/** The check in one line, for reports and the CLI. */
export function describeCheck(check: RunCheck): string {
  const diffs = check.outputs
    .map((o) => `${o.name}: relative L2 ${o.relativeL2.toFixed(4)}, cosine ${o.cosine.toFixed(4)}`)
    .join('; ');
  const agree =
    check.agreement === null ? '' : `, top-1 agreement ${(check.agreement * 100).toFixed(1)} %`;
  return `checked: loads and runs in onnxruntime next to the original (${check.samples} ${check.inputs}${agree}): ${diffs}`;
}
