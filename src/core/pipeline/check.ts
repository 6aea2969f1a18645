// The house rule "a file we write is a file that runs": the written model is loaded in
// onnxruntime and run next to the original on the same inputs (the user's arrays, calibration
// images, or generated inputs when there are none) before anyone reports success. A load failure
// or non-finite outputs are errors. Every output is compared (relative L2, cosine, max |diff|,
// SQNR; top-1 agreement for class scores, pixel agreement for probability maps), and so is an
// 8-bit per-channel PTQ of the same layers on the same inputs: a written model that differs far
// more than that peer gets a failed verdict (src/core/eval/verdict.ts) that every shell shows.
import * as ort from 'onnxruntime-web/wasm';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import { type TensorSet, tensorBatch } from '../data/tensors.ts';
import { ortFeeds, runBoth } from '../eval/compareModels.ts';
import { describeOutput, OutputAccumulator, type OutputMetrics } from '../eval/outputs.ts';
import { createSession } from '../eval/session.ts';
import { judgeOutputs, type Verdict } from '../eval/verdict.ts';
import { compressLayer } from '../factor/compressLayer.ts';
import { allocationJobs } from '../factor/modelJobs.ts';
import type { LayerResult } from '../factor/types.ts';
import { jsKernels } from '../kernels/js.ts';
import type { Kernels } from '../kernels/types.ts';
import { graphInputs } from '../onnx/graphInputs.ts';
import type { Dim } from '../onnx/shapes/dims.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { normalSampler } from '../util/prng.ts';
import { blameLayers, describeBlame, type LayerBlame, type LayerTensors } from './layerBlame.ts';
import type { PreparedModel } from './prepare.ts';
import { type OutputSettings, writeCompressedModel } from './write.ts';

/** The written model does not load or does not compute numbers; the message says which. */
export class WrittenModelError extends Error {
  override name = 'WrittenModelError';
}

/** One output of the written model against the original's (relativeL2 and cosine always). */
export type OutputDifference = OutputMetrics;

export interface RunCheck {
  /** 'your inputs (x.npy)', 'calibration images' or 'generated inputs' (random: a check that it
   * runs, not a score). */
  inputs: string;
  samples: number;
  outputs: OutputDifference[];
  /** Top-1 agreement of the first output when it holds class scores [N, C]; else null. */
  agreement: number | null;
  /** The same figures for an 8-bit per-channel PTQ of the same layers; null when not measured. */
  peer: OutputDifference[] | null;
  /** Failed when an output differs far more than the peer's (or is not finite). */
  verdict: Verdict;
  /** A failed verdict: the compressed layers adding the most error (layerBlame.ts). */
  blame?: LayerBlame[];
}

export interface CheckOptions {
  /** An 8-bit PTQ of the same layers, run on the same inputs (ptqPeerBytes). */
  peerBytes?: Uint8Array | null;
  /** The user's arrays for every input: fed instead of calibration batches. */
  data?: TensorSet | null;
  /** Concrete shapes for generated inputs (symbolic dims not given are 1). */
  inputShapes?: Record<string, readonly Dim[]>;
  /** Probability maps: the "on" threshold (default 0.5). */
  threshold?: number;
  /** The compressed layers' tensors: a failed verdict names the layers adding the most error. */
  layers?: readonly LayerTensors[];
}

/** Samples fed by the check: enough for agreement on small inputs, few on large ones. */
const CHECK_SAMPLES = 32;
const CHECK_SAMPLES_LARGE = 8;
const LARGE_SAMPLE_VALUES = 65_536;

type Feeds = Record<string, ort.Tensor>;

const GENERATED = 'generated inputs';

/** An output both models hold at one value (PP-OCR det at 1x1: all zero): what to do. */
const CHECK_HINT =
  'give realistic inputs (e.g. --check-data x.npz with your own arrays, or --input-shape at the real size)';

export async function checkWrittenModel(
  model: OnnxModel,
  originalBytes: Uint8Array,
  writtenBytes: Uint8Array,
  batches: readonly CalibrationBatch[] | null,
  options: CheckOptions = {},
): Promise<RunCheck> {
  const written = await openWritten(writtenBytes);
  const original = await createSession(originalBytes);
  const peer = options.peerBytes ? await createSession(options.peerBytes) : null;
  try {
    const { feeds, inputs, samples } = checkFeeds(model, original, batches, options);
    const batch = Object.values(feeds)[0]?.dims[0] ?? 1;
    const mine = new OutputAccumulator(options.threshold);
    const theirs = new OutputAccumulator(options.threshold);
    try {
      await runBoth(original, written, feeds, (name, a, b) => mine.add(name, a, b, samples, batch));
    } catch (err) {
      throw new WrittenModelError(
        `the compressed model loads but fails to run in onnxruntime: ${firstLine(err)}`,
      );
    }
    if (peer) {
      await runBoth(original, peer, feeds, (name, a, b) => theirs.add(name, a, b, samples, batch));
    }
    const outputs = mine.result();
    const bad = outputs.find((o) => !Number.isFinite(o.relativeL2));
    if (bad) {
      throw new WrittenModelError(
        `the compressed model computes non-finite values for output "${bad.name}"`,
      );
    }
    const peerOutputs = peer ? theirs.result() : null;
    const judged = judgeOutputs(outputs, peerOutputs, CHECK_HINT);
    // Noise is not a realistic input (a text detector sees no text in it): figures, no verdict.
    const verdict =
      inputs === GENERATED && judged.ok === false
        ? {
            ...judged,
            ok: true,
            summary: `not judged on generated inputs (give your own inputs to judge): ${judged.summary}`,
          }
        : judged;
    // Which layers to keep: asked only when the verdict fails (two more runs of the models).
    const blame =
      !verdict.ok && options.layers?.length
        ? await blameLayers(originalBytes, writtenBytes, feeds, options.layers).catch(() => [])
        : [];
    return {
      inputs,
      samples,
      outputs,
      agreement: outputs[0]?.top1Agreement ?? null,
      peer: peerOutputs,
      verdict,
      ...(blame.length && { blame }),
    };
  } finally {
    await written.release();
    await original.release();
    await peer?.release();
  }
}

async function openWritten(bytes: Uint8Array): Promise<ort.InferenceSession> {
  try {
    return await createSession(bytes);
  } catch (err) {
    throw new WrittenModelError(
      `the compressed model does not load in onnxruntime, so it was not reported as a success: ${firstLine(err)}`,
    );
  }
}

/** The peer: the same layers at 8 bits per channel, everything else as the written model. */
export async function ptqPeerBytes(
  prepared: PreparedModel,
  results: readonly LayerResult[],
  output: OutputSettings,
  batches: readonly CalibrationBatch[] | null,
  kernels: Kernels = jsKernels,
): Promise<Uint8Array | null> {
  const isPeer = (r: LayerResult) =>
    r.method === 'ptq' && r.bits >= 8 && r.factors[0]?.scales !== undefined;
  // A quantize-only run (no results: quantizeOnly.ts) at 8 bits is itself the peer.
  const otherBits = output.otherWeightBits ?? 8;
  if (results.every(isPeer) && (results.length > 0 || otherBits >= 8)) return null;
  if (results.length === 0) {
    const peer = { ...output, otherWeightBits: 8 };
    return (await writeCompressedModel(prepared, [], peer, batches, kernels)).bytes;
  }
  const names = results.map((r) => r.name);
  const jobs = allocationJobs(prepared.model, prepared.layers, {
    settings: { method: 'ptq', bits: 8, perChannel: true },
    selection: { names },
  });
  const peer = jobs.map((job) => compressLayer(kernels, job));
  return (await writeCompressedModel(prepared, peer, output, batches, kernels)).bytes;
}

function sampleCount(available: number, perSample: number, fixed: boolean): number {
  if (fixed) return available;
  const most = perSample > LARGE_SAMPLE_VALUES ? CHECK_SAMPLES_LARGE : CHECK_SAMPLES;
  return Math.min(available, most);
}

function checkFeeds(
  model: OnnxModel,
  session: ort.InferenceSession,
  batches: readonly CalibrationBatch[] | null,
  options: CheckOptions,
): { feeds: Feeds; inputs: string; samples: number } {
  const fixedDim = graphInputs(model)[0]?.type?.tensorType?.shape?.dim?.[0]?.dimValue;
  const fixed = fixedDim !== undefined && Number(fixedDim) > 0 ? Number(fixedDim) : null;
  const data = options.data;
  if (data && data.count > 0) {
    const whole = wholeInputs(model, data);
    const per = data.inputs.reduce((a, i) => a + i.dims.reduce((p, d) => p * d, 1), 0);
    const n = whole.size
      ? 1
      : fixed
        ? Math.min(fixed, data.count)
        : sampleCount(data.count, per, false);
    const size = whole.size ? 1 : (fixed ?? n);
    const rows = Array.from({ length: size }, (_, k) => Math.min(k, n - 1));
    const batch = tensorBatch(data, rows);
    for (const name of whole) {
      const b = batch.get(name);
      if (b) batch.set(name, { ...b, dims: b.dims.slice(1) });
    }
    return {
      feeds: ortFeeds(batch),
      inputs: `samples of your inputs (${data.source})`,
      samples: n,
    };
  }
  const first = batches?.[0];
  if (first?.inputs) {
    const n = sampleCount(first.dims[0], first.data.length / first.dims[0], fixed !== null);
    const feeds: Feeds = {};
    for (const [name, input] of Object.entries(first.inputs)) {
      const per = input.data.length / input.dims[0];
      const data = (input.data as Float32Array).subarray(0, n * per);
      feeds[name] = new ort.Tensor(input.type, data as never, [n, ...input.dims.slice(1)]);
    }
    return { feeds, inputs: 'calibration samples', samples: n };
  }
  if (first && session.inputNames.length === 1) {
    const per = first.data.length / first.dims[0];
    // A batch dim fixed by the model keeps its size.
    const n = sampleCount(first.dims[0], per, fixed !== null);
    const data = first.data.subarray(0, n * per);
    const feeds = {
      [session.inputNames[0]]: new ort.Tensor('float32', data, [n, ...first.dims.slice(1)]),
    };
    return { feeds, inputs: 'calibration images', samples: n };
  }
  return { feeds: generatedFeeds(model, options.inputShapes), inputs: GENERATED, samples: 1 };
}

/**
 * Inputs given at the model's full rank (a recurrent state [2, batch, 64], a scalar sample rate):
 * their batch axis is not the first, or there is none, so they are fed as given, one sample.
 */
function wholeInputs(model: OnnxModel, data: TensorSet): Set<string> {
  const rank = new Map(
    graphInputs(model).map((v) => [v.name ?? '', v.type?.tensorType?.shape?.dim?.length ?? -1]),
  );
  return new Set(data.inputs.filter((i) => rank.get(i.name) === i.dims.length).map((i) => i.name));
}

/** Seeded normal noise for float inputs, zeros for integer ones; symbolic dims as 1. */
function generatedFeeds(model: OnnxModel, shapes: CheckOptions['inputShapes']): Feeds {
  const next = normalSampler(1);
  const feeds: Feeds = {};
  for (const input of graphInputs(model)) {
    const t = input.type?.tensorType;
    const name = input.name ?? '';
    const given = shapes?.[name];
    // A dim the model fixes keeps its size (a sequence-first [5, 1, 6] input cannot run at 1).
    const declared = (t?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0));
    const dims = given
      ? given.map((d, i) => declared[i] || (typeof d === 'number' && d > 0 ? d : 1))
      : declared.map((d) => d || 1);
    const count = dims.reduce((a, b) => a * b, 1);
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
            'give your own inputs (.npy per input) to check the written model',
        );
    }
  }
  return feeds;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/** The check in one line, for reports and the CLI. */
export function describeCheck(check: RunCheck): string {
  // With a peer the verdict's summary says which outputs could not be judged: once is enough.
  const shown = check.outputs.filter((m) => !(check.peer && m.constantValue !== null));
  const diffs = shown.map((m) => describeOutput(m, CHECK_HINT)).join('; ');
  const what = `${check.samples} ${check.inputs}${check.inputs === GENERATED ? ': random, a check that it runs, not a score' : ''}`;
  const verdict = check.peer
    ? check.verdict.ok
      ? check.verdict.summary
      : `FAILED: ${check.verdict.summary}${check.blame?.length ? `; ${describeBlame(check.blame)}` : ''}`
    : '';
  const body = [diffs, verdict].filter(Boolean).join('; ');
  return `checked: loads and runs in onnxruntime next to the original (${what}): ${body}`;
}
