// A tiny conv classifier and labelled image sets made in memory, so tests of the whole pipeline
// (compress, write, calibrate, evaluate in onnxruntime-web) run without ../shared.
import type { Dataset } from '../../src/core/data/types.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { normalSampler } from '../../src/core/util/prng.ts';
import { lcg } from './random.ts';

export const TINY_SIDE = 8;
export const TINY_CLASSES = 4;

/** Seeded N(0, 2 / fanIn) weights (He), so activations keep their scale through the layers. */
function heWeights(count: number, fanIn: number, seed: number): Float32Array {
  const next = normalSampler(seed);
  const sigma = Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: count }, () => sigma * next());
}

/**
 * x [batch, 3, 8, 8] -> conv1 3x3 3->16 -> Relu -> conv2 3x3 16->16 -> Relu -> GlobalAveragePool
 * -> Flatten -> fc (Gemm 16->4). Layer discovery finds conv1 (432 weights) and fc (64) too
 * small to factorize; conv2 (2,304) is the one factorizable, spatial layer.
 */
export function tinyClassifierBytes(seed = 1): Uint8Array {
  const w1 = heWeights(16 * 3 * 9, 27, seed);
  const w2 = heWeights(16 * 16 * 9, 144, seed + 1);
  const wFc = heWeights(TINY_CLASSES * 16, 16, seed + 2);
  const bias = (n: number, s: number) => {
    const next = lcg(s);
    return Float32Array.from({ length: n }, () => 0.2 * (next() - 0.5));
  };
  const pads = { pads: [1, 1, 1, 1] };
  const graph = makeGraph({
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['y1'], pads, { name: 'conv1' }),
      makeNode('Relu', ['y1'], ['r1'], {}, { name: 'relu1' }),
      makeNode('Conv', ['r1', 'w2', 'b2'], ['y2'], pads, { name: 'conv2' }),
      makeNode('Relu', ['y2'], ['r2'], {}, { name: 'relu2' }),
      makeNode('GlobalAveragePool', ['r2'], ['pooled'], {}, { name: 'pool' }),
      makeNode('Flatten', ['pooled'], ['flat'], { axis: 1 }, { name: 'flatten' }),
      makeNode('Gemm', ['flat', 'wfc', 'bfc'], ['logits'], { transB: 1 }, { name: 'fc' }),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, ['batch', 3, TINY_SIDE, TINY_SIDE])],
    outputs: [makeValueInfo('logits', DataType.FLOAT, ['batch', TINY_CLASSES])],
    initializers: [
      makeTensor('w1', DataType.FLOAT, [16, 3, 3, 3], w1),
      makeTensor('b1', DataType.FLOAT, [16], bias(16, seed + 3)),
      makeTensor('w2', DataType.FLOAT, [16, 16, 3, 3], w2),
      makeTensor('b2', DataType.FLOAT, [16], bias(16, seed + 4)),
      makeTensor('wfc', DataType.FLOAT, [TINY_CLASSES, 16], wFc),
      makeTensor('bfc', DataType.FLOAT, [TINY_CLASSES], bias(TINY_CLASSES, seed + 5)),
    ],
  });
  return writeModel(makeModel(graph, { opset: 13 }));
}

export interface GeneratedImages {
  dataset: Dataset;
  /** All pixels, image after image (HWC uint8): the file a loader would have read. */
  bytes: Uint8Array;
}

export interface ImageOptions {
  /** Seed of the base images: two sets with the same one show the same "classes". */
  patternSeed: number;
  /** Seed of the per-image noise. */
  noiseSeed: number;
  /** e.g. a model's predictions; null for an unlabelled set. */
  labels?: Int32Array | null;
  patterns?: number;
}

/**
 * `count` 8x8 RGB uint8 images: one of `patterns` base images each (in turn) plus noise, so a
 * network's outputs differ between images.
 */
export function generatedImages(count: number, options: ImageOptions): GeneratedImages {
  const { patternSeed, noiseSeed, labels = null, patterns = TINY_CLASSES } = options;
  const size = TINY_SIDE * TINY_SIDE * 3;
  // A colour of its own per pattern (the network pools globally, so colour is what it sees),
  // plus a fixed texture.
  const pattern = lcg(patternSeed);
  const bases = Array.from({ length: patterns }, () => {
    const colour = [0, 1, 2].map(() => 255 * pattern());
    return Float64Array.from({ length: size }, (_, p) => colour[p % 3] + 50 * (pattern() - 0.5));
  });
  const next = lcg(noiseSeed);
  const bytes = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) {
    const base = bases[i % patterns];
    for (let p = 0; p < size; p++) {
      const v = base[p] + 30 * (next() - 0.5);
      bytes[i * size + p] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  if (labels && labels.length !== count) {
    throw new RangeError(`${labels.length} labels for ${count} images`);
  }
  const dataset: Dataset = {
    count,
    width: TINY_SIDE,
    height: TINY_SIDE,
    channels: 3,
    pixelType: 'uint8',
    labels,
    classNames: null,
    itemNames: null,
    getImage: (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`no image ${i}`);
      return {
        width: TINY_SIDE,
        height: TINY_SIDE,
        channels: 3,
        data: bytes.subarray(i * size, (i + 1) * size),
      };
    },
  };
  return { dataset, bytes };
}
