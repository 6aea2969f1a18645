// The one call a shell makes for `-o OUT.onnx`: original file bytes + layer results in, the
// compressed file's bytes and its report out. Writing the bytes to disk (CLI) or offering a
// download (app) stays with the caller, so this module runs anywhere.
import { defaultPreprocessSpec, makeBatch } from '../data/preprocess.ts';
import type { Dataset, PreprocessSpec } from '../data/types.ts';
import type { LayerResult } from '../factor/types.ts';
import type { Kernels } from '../kernels/types.ts';
import { modelInputShape } from '../onnx/graphInputs.ts';
import { discoverLayers } from '../onnx/layers.ts';
import { readModel } from '../onnx/reader.ts';
import { inferShapes } from '../onnx/shapes/inferShapes.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { buildCompressedModel, type CompressedModel } from './compressModel.ts';
import type { ActCalibration, RewriteLayer } from './types.ts';

export interface CalibrationSource {
  dataset: Dataset;
  /** Default: guessed from the model's input shape (as evaluation does). */
  spec?: PreprocessSpec;
  /** Images used, evenly spread over the dataset. Default 256. */
  count?: number;
  /** Images per inference. Default 32. */
  batch?: number;
  method?: ActCalibration['method'];
  type?: ActCalibration['type'];
}

export interface WriteCompressedInput {
  /** The original .onnx file. */
  modelBytes: Uint8Array;
  /** Default: discoverLayers(model, inferShapes(model)), as the engine's modelLayerJobs does. */
  layers?: readonly RewriteLayer[];
  results: readonly LayerResult[];
  otherWeightBits?: number;
  /** 8 quantizes activations (needs `calibration`); default 32, float activations. */
  actBits?: number;
  calibration?: CalibrationSource;
  /** For the per-channel PTQ of the other layers; default the plain-JS kernels. */
  kernels?: Kernels;
}

export async function writeCompressed(input: WriteCompressedInput): Promise<CompressedModel> {
  const model = readModel(input.modelBytes);
  const actBits = input.actBits ?? 32;
  const actCalibration =
    actBits < 32 && input.calibration ? calibrationInputs(model, input.calibration) : undefined;
  const layers = input.layers ?? discoverLayers(model, inferShapes(model));
  return buildCompressedModel(model, layers, input.results, {
    otherWeightBits: input.otherWeightBits,
    actBits,
    actCalibration,
    floatSizeBytes: input.modelBytes.length,
    kernels: input.kernels,
  });
}

/** Preprocessed calibration batch from a dataset, `count` images evenly spread over it. */
export function calibrationInputs(model: OnnxModel, source: CalibrationSource): ActCalibration {
  const inputShape = modelInputShape(model);
  const spec = source.spec ?? defaultPreprocessSpec(inputShape, source.dataset);
  const count = Math.min(source.count ?? 256, source.dataset.count);
  const step = source.dataset.count / count;
  const indices = Int32Array.from({ length: count }, (_, k) => Math.floor(k * step));
  const inputs = makeBatch(source.dataset, spec, indices);
  const per = inputs.length / count;
  const sampleDims =
    spec.layout === 'NCHW'
      ? [per / (spec.width * spec.height), spec.height, spec.width]
      : [spec.height, spec.width, per / (spec.width * spec.height)];
  return {
    inputs,
    batchDims: [source.batch ?? 32, ...sampleDims],
    method: source.method,
    type: source.type,
  };
}
