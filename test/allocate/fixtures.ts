// A tiny residual classifier made in memory, so the sensitivity pass (graph cut, captures, runs
// in onnxruntime-web) is tested without ../shared: a skip connection puts a tensor on the cut
// of conv2 that the suffix must be fed.
import type { CalibrationBatch } from '../../src/core/calibrate/outputStats.ts';
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

export const SIDE = 6;
export const CLASSES = 5;
const C = 16;

function he(count: number, fanIn: number, seed: number): Float32Array {
  const next = normalSampler(seed);
  const sigma = Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: count }, () => sigma * next());
}

/**
 * x [N, 3, 6, 6] -> stem 3x3 3->16 -> Relu = r0 -> conv1 3x3 -> Relu -> conv2 3x3 -> Add(r0)
 * -> Relu -> GlobalAveragePool -> Flatten -> fc (Gemm 16->5). conv1 and conv2 (2,304 weights
 * each) are the factorizable 3x3 convs; the stem (432) and fc (80) are too small.
 */
export function residualModelBytes(seed = 3): Uint8Array {
  const pads = { pads: [1, 1, 1, 1] };
  const bias = (n: number, s: number) => he(n, 50, s);
  const graph = makeGraph({
    nodes: [
      makeNode('Conv', ['x', 'w0', 'b0'], ['y0'], pads, { name: 'stem' }),
      makeNode('Relu', ['y0'], ['r0'], {}, { name: 'relu0' }),
      makeNode('Conv', ['r0', 'w1', 'b1'], ['y1'], pads, { name: 'conv1' }),
      makeNode('Relu', ['y1'], ['r1'], {}, { name: 'relu1' }),
      makeNode('Conv', ['r1', 'w2', 'b2'], ['y2'], pads, { name: 'conv2' }),
      makeNode('Add', ['y2', 'r0'], ['s2'], {}, { name: 'add' }),
      makeNode('Relu', ['s2'], ['r2'], {}, { name: 'relu2' }),
      makeNode('GlobalAveragePool', ['r2'], ['pooled'], {}, { name: 'pool' }),
      makeNode('Flatten', ['pooled'], ['flat'], { axis: 1 }, { name: 'flatten' }),
      makeNode('Gemm', ['flat', 'wfc', 'bfc'], ['logits'], { transB: 1 }, { name: 'fc' }),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, ['batch', 3, SIDE, SIDE])],
    outputs: [makeValueInfo('logits', DataType.FLOAT, ['batch', CLASSES])],
    initializers: [
      makeTensor('w0', DataType.FLOAT, [C, 3, 3, 3], he(C * 27, 27, seed)),
      makeTensor('b0', DataType.FLOAT, [C], bias(C, seed + 1)),
      makeTensor('w1', DataType.FLOAT, [C, C, 3, 3], he(C * C * 9, C * 9, seed + 2)),
      makeTensor('b1', DataType.FLOAT, [C], bias(C, seed + 3)),
      makeTensor('w2', DataType.FLOAT, [C, C, 3, 3], he(C * C * 9, C * 9, seed + 4)),
      makeTensor('b2', DataType.FLOAT, [C], bias(C, seed + 5)),
      makeTensor('wfc', DataType.FLOAT, [CLASSES, C], he(CLASSES * C, C, seed + 6)),
      makeTensor('bfc', DataType.FLOAT, [CLASSES], bias(CLASSES, seed + 7)),
    ],
  });
  return writeModel(makeModel(graph, { opset: 13 }));
}

/** Seeded N(0, 1) images in batches of `batchSize` (the last one shorter). */
export function randomBatches(images: number, batchSize: number, seed = 11): CalibrationBatch[] {
  const next = normalSampler(seed);
  const batches: CalibrationBatch[] = [];
  for (let start = 0; start < images; start += batchSize) {
    const n = Math.min(batchSize, images - start);
    const data = Float32Array.from({ length: n * 3 * SIDE * SIDE }, () => next());
    batches.push({ data, dims: [n, 3, SIDE, SIDE] });
  }
  return batches;
}
