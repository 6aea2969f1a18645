// A small residual network and its "compressed" twin for calibration tests: every layer's weight
// goes through DequantizeLinear of 8-bit codes with per-row distortions the calibration has to
// undo, one output channel of conv2 has all-zero codes (a dead channel: its output is the bias),
// and a skip connection crosses conv1 and conv2, so a cut between them has two live tensors.
//
//   x -> conv0 -> relu -> r0 -> conv1 -> relu -> conv2 -> (+ r0) -> relu -> conv3 -> relu
//     -> GlobalAveragePool -> Flatten -> fc (Gemm)
import type { CalibrationBatch } from '../../src/core/calibrate/outputStats.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType, type NodeProto, type TensorProto } from '../../src/core/onnx/types.ts';
import { centeredLcg } from '../support/random.ts';

export const SIDE = 5;
const C = 6;

interface Layer {
  name: string;
  shape: number[];
  weight: Float32Array;
  bias: Float32Array;
}

function layers(): Layer[] {
  const rand = centeredLcg(23);
  const make = (name: string, shape: number[]) => {
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const weight = Float32Array.from(
      { length: shape.reduce((a, b) => a * b, 1) },
      () => (2 * rand()) / Math.sqrt(fanIn),
    );
    const bias = Float32Array.from({ length: shape[0] }, () => 0.2 * rand());
    return { name, shape, weight, bias };
  };
  return [
    make('conv0', [C, 3, 3, 3]),
    make('conv1', [C, C, 3, 3]),
    make('conv2', [C, C, 3, 3]),
    make('conv3', [C, C, 1, 1]),
    make('fc', [4, C]),
  ];
}

/** Output tensors of the five layers, in graph order. */
export const LAYER_OUTPUTS = ['y0', 'y1', 'y2', 'y3', 'logits'];

function graphNodes(weightOf: (l: string) => string, extra: NodeProto[]): NodeProto[] {
  const pads = { pads: [1, 1, 1, 1] };
  return [
    ...extra,
    makeNode('Conv', ['x', weightOf('conv0'), 'conv0_b'], ['y0'], pads, { name: 'conv0' }),
    makeNode('Relu', ['y0'], ['r0']),
    makeNode('Conv', ['r0', weightOf('conv1'), 'conv1_b'], ['y1'], pads, { name: 'conv1' }),
    makeNode('Relu', ['y1'], ['r1']),
    makeNode('Conv', ['r1', weightOf('conv2'), 'conv2_b'], ['y2'], pads, { name: 'conv2' }),
    makeNode('Add', ['y2', 'r0'], ['s2']),
    makeNode('Relu', ['s2'], ['r2']),
    makeNode('Conv', ['r2', weightOf('conv3'), 'conv3_b'], ['y3'], {}, { name: 'conv3' }),
    makeNode('Relu', ['y3'], ['r3']),
    makeNode('GlobalAveragePool', ['r3'], ['pooled']),
    makeNode('Flatten', ['pooled'], ['flat'], { axis: 1 }),
    makeNode('Gemm', ['flat', weightOf('fc'), 'fc_b'], ['logits'], { transB: 1 }, { name: 'fc' }),
  ];
}

function model(nodes: NodeProto[], initializers: TensorProto[], opset: number): Uint8Array {
  return writeModel(
    makeModel(
      makeGraph({
        nodes,
        inputs: [makeValueInfo('x', DataType.FLOAT, ['batch', 3, SIDE, SIDE])],
        outputs: [makeValueInfo('logits', DataType.FLOAT, ['batch', 4])],
        initializers,
      }),
      { opset },
    ),
  );
}

export function residualFloat(opset = 17): Uint8Array {
  const all = layers();
  const inits = all.flatMap((l) => [
    makeTensor(`${l.name}_w`, DataType.FLOAT, l.shape, l.weight),
    makeTensor(`${l.name}_b`, DataType.FLOAT, [l.shape[0]], l.bias),
  ]);
  return model(
    graphNodes((l) => `${l}_w`, []),
    inits,
    opset,
  );
}

/** 8-bit codes of a distorted weight; conv2's channel 3 is all zeros. */
function codes(l: Layer, scale: number): number[] {
  const inner = l.weight.length / l.shape[0];
  return Array.from(l.weight, (v, i) => {
    const row = Math.floor(i / inner);
    if (l.name === 'conv2' && row === 3) return 0;
    const distortion = 0.5 + 0.25 * (row % 3);
    return Math.max(-128, Math.min(127, Math.round((distortion * v) / scale)));
  });
}

export function residualCompressed(opset = 17): Uint8Array {
  const all = layers();
  const scale = 0.01;
  const inits = all.flatMap((l) => [
    makeTensor(`${l.name}_q`, DataType.INT8, l.shape, codes(l, scale)),
    makeTensor(`${l.name}_s`, DataType.FLOAT, [], [scale]),
    makeTensor(
      `${l.name}_b`,
      DataType.FLOAT,
      [l.shape[0]],
      Array.from(l.bias, (b) => 0.7 * b + 0.05),
    ),
  ]);
  const dq = all.map((l) =>
    makeNode('DequantizeLinear', [`${l.name}_q`, `${l.name}_s`], [`${l.name}_wdq`]),
  );
  return model(
    graphNodes((l) => `${l}_wdq`, dq),
    inits,
    opset,
  );
}

/** Batches of 7, 16 and 3 images (odd sizes, a short last batch). */
export function residualBatches(sizes = [7, 16, 3], seed = 5): CalibrationBatch[] {
  const r = centeredLcg(seed);
  return sizes.map((n) => ({
    data: Float32Array.from({ length: n * 3 * SIDE * SIDE }, () => 2 * r() + 0.3),
    dims: [n, 3, SIDE, SIDE],
  }));
}
