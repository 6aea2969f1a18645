// The last stage for float16 and double models (src/core/onnx/floatCompute.ts): the compressed
// float32 model gets the original's input and output element types back, and that file is loaded
// and run in onnxruntime next to the original on the same generated inputs before success is
// reported. onnxruntime has no double Conv, so a double original cannot run: its float32 twin
// (the model the pipeline compressed, checked next to the written model already) stands in, and
// the note says so.
import * as ort from 'onnxruntime-web/wasm';
import { createSession } from '../eval/session.ts';
import { float16ToNumber, numberToFloat16 } from '../onnx/float16.ts';
import { type InterfaceTypes, restoreInterfaceTypes } from '../onnx/floatCompute.ts';
import { graphInputs } from '../onnx/graphInputs.ts';
import { readModel, writeModel } from '../onnx/reader.ts';
import { dataTypeName } from '../onnx/tensor.ts';
import { DataType } from '../onnx/types.ts';
import { normalSampler } from '../util/prng.ts';
import { WrittenModelError } from './check.ts';
import type { PreparedModel } from './prepare.ts';

/** Samples run through the restored file (class-score agreement needs a few). */
const SAMPLES = 8;

type Feeds = Record<string, ort.Tensor>;

export interface RestoredModel {
  bytes: Uint8Array;
  note: string;
}

export async function restoreFloatInterface(
  prepared: PreparedModel,
  types: InterfaceTypes,
  bytes: Uint8Array,
  check: boolean,
): Promise<RestoredModel> {
  const model = readModel(bytes);
  restoreInterfaceTypes(model, types);
  const restored = writeModel(model);
  const names = [...types.inputs, ...types.outputs];
  const kinds = [...new Set(names.map((t) => dataTypeName(t.elemType)))].join('/');
  const what = `computed in float32 inside; ${kinds} inputs and outputs as in the original (a Cast at each)`;
  if (!check) return { bytes: restored, note: `${what}; not checked in onnxruntime` };
  const { typed, float } = generatedFeeds(prepared);
  const written = await open(restored);
  try {
    const mine = await outputsOf(written, typed, 'the compressed model');
    let reference = 'the original';
    let theirs: Map<string, Float32Array>;
    try {
      theirs = await outputsOf(await createSession(prepared.sourceBytes), typed, 'the original');
    } catch {
      // A double model: onnxruntime has no double Conv/Gemm, so the original cannot run.
      reference = 'its float32 twin (onnxruntime cannot run the original: no kernels for its type)';
      theirs = await outputsOf(await createSession(prepared.bytes), float, 'the float32 twin');
    }
    const diffs = [...theirs].map(([name, ref]) => {
      const got = mine.get(name);
      if (!got || got.length !== ref.length) {
        throw new WrittenModelError(`the compressed model's output "${name}" has another shape`);
      }
      if (!got.every(Number.isFinite)) {
        throw new WrittenModelError(
          `the compressed model computes non-finite values for "${name}"`,
        );
      }
      return `"${name}" relative L2 ${relativeL2(ref, got).toFixed(4)}`;
    });
    return {
      bytes: restored,
      note: `${what}: loads and runs in onnxruntime next to ${reference} (${SAMPLES} generated inputs, random: a check that it runs, not a score): ${diffs.join('; ')}`,
    };
  } finally {
    await written.release();
  }
}

async function open(bytes: Uint8Array): Promise<ort.InferenceSession> {
  try {
    return await createSession(bytes);
  } catch (err) {
    throw new WrittenModelError(
      `the compressed model with the original's element types does not load in onnxruntime: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

async function outputsOf(
  session: ort.InferenceSession,
  feeds: Feeds,
  label: string,
): Promise<Map<string, Float32Array>> {
  try {
    const out = await session.run(feeds);
    const result = new Map<string, Float32Array>();
    for (const name of session.outputNames) {
      const t = out[name];
      const data = t.data;
      if (t.type === 'float16' && data instanceof Uint16Array) {
        result.set(name, Float32Array.from(data, float16ToNumber));
      } else if (data instanceof Float32Array || data instanceof Float64Array) {
        result.set(name, Float32Array.from(data));
      } else if (!Array.isArray(data) && typeof data !== 'string') {
        result.set(name, Float32Array.from(data as ArrayLike<number>, Number));
      }
      t.dispose();
    }
    return result;
  } catch (err) {
    if (err instanceof WrittenModelError) throw err;
    throw new WrittenModelError(`${label} fails to run: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    if (label !== 'the compressed model') await session.release();
  }
}

/** The same seeded inputs in the original's types and as float32 (float16 rounding applied). */
function generatedFeeds(prepared: PreparedModel): { typed: Feeds; float: Feeds } {
  const next = normalSampler(1);
  const typed: Feeds = {};
  const float: Feeds = {};
  for (const input of graphInputs(readModel(prepared.sourceBytes))) {
    const name = input.name ?? '';
    const t = input.type?.tensorType;
    const declared = t?.shape?.dim ?? [];
    const given = prepared.inputShapes[name];
    const dims = (given ?? declared.map((d) => d.dimValue ?? 1)).map((d) =>
      typeof d === 'number' && d > 0 ? d : 1,
    );
    if (dims.length && !(Number(declared[0]?.dimValue) > 0)) dims[0] = SAMPLES;
    const count = dims.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: count }, next);
    switch (t?.elemType) {
      case DataType.FLOAT16: {
        const half = Uint16Array.from(values, numberToFloat16);
        typed[name] = new ort.Tensor('float16', half, dims);
        float[name] = new ort.Tensor('float32', Float32Array.from(half, float16ToNumber), dims);
        break;
      }
      case DataType.DOUBLE:
        typed[name] = new ort.Tensor('float64', Float64Array.from(values), dims);
        float[name] = new ort.Tensor('float32', values, dims);
        break;
      case DataType.FLOAT:
        typed[name] = new ort.Tensor('float32', values, dims);
        float[name] = typed[name];
        break;
      default:
        throw new WrittenModelError(
          `input "${name}" has element type ${dataTypeName(t?.elemType ?? 0)}, which the check cannot generate`,
        );
    }
  }
  return { typed, float };
}

function relativeL2(reference: Float32Array, value: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = value[i] - reference[i];
    num += d * d;
    den += reference[i] * reference[i];
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}
