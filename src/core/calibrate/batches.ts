// Calibration images -> preprocessed input batches, prepared once and reused by every pass and
// every sweep point. A class-balanced sample, so a few hundred images cover all classes.
import { defaultPreprocessSpec, makeBatch } from '../data/preprocess.ts';
import { subsetIndices } from '../data/subset.ts';
import { type TensorSet, tensorBatch } from '../data/tensors.ts';
import type { Dataset, PreprocessSpec } from '../data/types.ts';
import { modelInputShape } from '../onnx/graphInputs.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { DEFAULT_CALIBRATION_IMAGES } from './defaults.ts';
import type { CalibrationBatch } from './outputStats.ts';

export { DEFAULT_CALIBRATION_IMAGES };

const DEFAULT_BATCH = 128;

// Re-exported: calibrate's public surface has always offered it.
export { modelInputShape };

export interface CalibrationBatchOptions {
  images?: number;
  /** These images exactly (e.g. a part of the evaluation data), instead of a class-balanced
   * sample of `images`. */
  indices?: Int32Array;
  batchSize?: number;
  spec?: PreprocessSpec;
}

export function makeCalibrationBatches(
  model: OnnxModel,
  dataset: Dataset,
  options: CalibrationBatchOptions = {},
): CalibrationBatch[] {
  const shape = modelInputShape(model);
  const spec = options.spec ?? defaultPreprocessSpec(shape, dataset);
  const count = Math.min(options.images ?? DEFAULT_CALIBRATION_IMAGES, dataset.count);
  const indices = options.indices ?? subsetIndices(dataset, 'quick', count);
  // A fixed batch dim in the model forces that batch size.
  const fixed = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : null;
  const size = fixed ?? options.batchSize ?? DEFAULT_BATCH;
  const batches: CalibrationBatch[] = [];
  for (let start = 0; start + (fixed ? size : 1) <= indices.length; start += size) {
    const chunk = Array.from(indices.subarray(start, Math.min(indices.length, start + size)));
    const dims =
      spec.layout === 'NCHW'
        ? [chunk.length, spec.mean.length, spec.height, spec.width]
        : [chunk.length, spec.height, spec.width, spec.mean.length];
    batches.push({ data: makeBatch(dataset, spec, chunk), dims });
  }
  return batches;
}

/**
 * Calibration batches from the user's arrays (src/core/data/tensors.ts), used as they are: any
 * rank (audio [N, T], [N, C, T], NHWC images...) and any number of inputs (each batch carries
 * every input by name; `data` is the first float one's).
 */
export function tensorCalibrationBatches(
  model: OnnxModel,
  set: TensorSet,
  options: Pick<CalibrationBatchOptions, 'images' | 'batchSize'> = {},
): CalibrationBatch[] {
  const input = set.inputs.find((i) => i.type === 'float32');
  if (!input) {
    throw new Error(
      `calibration needs a float input; the model's take ${set.inputs.map((i) => `${i.name}: ${i.type}`).join(', ')}`,
    );
  }
  const shape = modelInputShape(model);
  const fixed = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : null;
  const count = Math.min(options.images ?? DEFAULT_CALIBRATION_IMAGES, set.count);
  const indices = subsetIndices({ count: set.count, labels: null }, 'quick', count);
  const size = fixed ?? options.batchSize ?? DEFAULT_BATCH;
  const batches: CalibrationBatch[] = [];
  for (let start = 0; start + (fixed ? size : 1) <= indices.length; start += size) {
    const chunk = Array.from(indices.subarray(start, Math.min(indices.length, start + size)));
    const all = tensorBatch(set, chunk);
    const b = all.get(input.name)!;
    const batch: CalibrationBatch = { data: b.data as Float32Array, dims: b.dims };
    if (set.inputs.length > 1) batch.inputs = Object.fromEntries(all);
    batches.push(batch);
  }
  if (batches.length === 0) {
    throw new Error(
      `the model's batch dim is fixed at ${fixed}: calibration needs at least ${fixed} samples, got ${set.count}`,
    );
  }
  return batches;
}
