// Activation ranges for 8-bit activation quantization: the model run in onnxruntime on the
// calibration inputs with the wanted tensors exposed as graph outputs. The rewrite receives this
// as a probe (ActivationRangeProbe), so writing a model never runs one itself.
import * as ort from 'onnxruntime-web/wasm';
import { createSession } from '../eval/session.ts';
import { withGraphOutputs } from '../onnx/graphOutputs.ts';
import { writeModel } from '../onnx/reader.ts';
import type { OnnxModel } from '../onnx/types.ts';
import type { ActivationRangeProbe, ActRange } from '../rewrite/types.ts';
import type { CalibrationBatch } from './outputStats.ts';

/** Where activation quantization scales come from. */
export interface ActCalibration {
  /** Preprocessed inputs for the model's first input, `count` samples, batch first. */
  inputs: Float32Array;
  /** Dims of one batch fed at a time, batch first (e.g. [16, 3, 32, 32]). */
  batchDims: readonly number[];
  /** 'minmax' (default) or 'percentile' (99.99 % of |x| by default). */
  method?: 'minmax' | 'percentile';
  percentile?: number;
}

/** The probe the rewrite calls: ranges of the named tensors of a model on `calibration`. */
export function activationRangeProbe(calibration: ActCalibration): ActivationRangeProbe {
  return (model, names) => calibrateActivations(model, names, calibration);
}

/** The first full-size calibration batches, concatenated, up to `images` samples. */
export function actCalibrationFromBatches(
  batches: readonly CalibrationBatch[],
  images: number,
  method?: ActCalibration['method'],
): ActCalibration {
  if (!batches.length) throw new RangeError('activation calibration needs calibration images');
  if (batches[0].inputs && Object.keys(batches[0].inputs).length > 1) {
    throw new RangeError('8-bit activation ranges are measured on models with one input only');
  }
  const dims = batches[0].dims;
  const perImage = batches[0].data.length / dims[0];
  const usable = batches.filter((b) => b.dims[0] === dims[0]);
  const count = Math.min(usable.length, Math.max(1, Math.floor(images / dims[0])));
  const inputs = new Float32Array(count * dims[0] * perImage);
  for (let i = 0; i < count; i++) inputs.set(usable[i].data, i * usable[i].data.length);
  return { inputs, batchDims: dims, method };
}

/** Values kept per tensor for a percentile (1 MB of float32). */
const SAMPLE_BUDGET = 1 << 18;

/** Runs the model on the calibration batches and returns each tensor's calibrated range. */
export async function calibrateActivations(
  model: OnnxModel,
  tensorNames: readonly string[],
  calibration: ActCalibration,
): Promise<Map<string, ActRange>> {
  const probe = withGraphOutputs(model, tensorNames);
  const session = await createSession(writeModel(probe), { graphOptimizationLevel: 'disabled' });
  const method = calibration.method ?? 'minmax';
  const all = [...batches(calibration)];
  // Min-max keeps each batch's extremes; a percentile keeps a strided sample of every batch,
  // about SAMPLE_BUDGET values per tensor in all, so memory stays flat in a browser tab.
  const perBatch = Math.max(4096, Math.floor(SAMPLE_BUDGET / all.length));
  const keep = (x: Float32Array) => (method === 'minmax' ? extremes(x) : subsample(x, perBatch));
  try {
    const samples = new Map<string, Float32Array[]>(tensorNames.map((n) => [n, []]));
    for (const batch of all) {
      const feed = { [session.inputNames[0]]: new ort.Tensor('float32', batch.data, batch.dims) };
      const result = await session.run(feed, [...tensorNames]);
      for (const name of tensorNames) {
        samples.get(name)?.push(keep(result[name].data as Float32Array));
      }
      for (const t of Object.values(result)) t.dispose();
    }
    const p = calibration.percentile ?? 99.99;
    return new Map(tensorNames.map((n) => [n, rangeOf(samples.get(n) ?? [], method, p)]));
  } finally {
    await session.release();
  }
}

function* batches(c: ActCalibration): Generator<{ data: Float32Array; dims: number[] }> {
  const per = c.batchDims.slice(1).reduce((a, b) => a * b, 1);
  const count = Math.floor(c.inputs.length / per);
  if (count < 1) throw new RangeError('activation calibration needs at least one input sample');
  for (let start = 0; start < count; start += c.batchDims[0]) {
    const n = Math.min(c.batchDims[0], count - start);
    yield {
      data: c.inputs.subarray(start * per, (start + n) * per),
      dims: [n, ...c.batchDims.slice(1)],
    };
  }
}

function extremes(x: Float32Array): Float32Array {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Float32Array.of(min, max);
}

function subsample(x: Float32Array, cap: number): Float32Array {
  if (x.length <= cap) return x.slice();
  const step = Math.ceil(x.length / cap);
  const out = new Float32Array(Math.ceil(x.length / step));
  for (let i = 0, j = 0; i < x.length; i += step, j++) out[j] = x[i];
  return out;
}

/** min/max, or the percentile p of the values and 100 - p (outliers clipped). */
export function rangeOf(
  parts: Float32Array[],
  method: 'minmax' | 'percentile',
  p: number,
): ActRange {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  if (method === 'minmax') {
    for (const part of parts) {
      for (const v of part) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    return { min, max };
  }
  const total = parts.reduce((s, x) => s + x.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  all.sort();
  const pick = (q: number) =>
    all[Math.min(total - 1, Math.max(0, Math.round((q / 100) * (total - 1))))];
  return { min: pick(100 - p), max: pick(p) };
}
