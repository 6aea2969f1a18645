// Models for e2e specs that need op kinds the demo has none of (no ../shared needed).
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../src/core/onnx/builders.ts';
import { writeModel } from '../src/core/onnx/reader.ts';
import { DataType } from '../src/core/onnx/types.ts';
import { normalSampler } from '../src/core/util/prng.ts';

const F = DataType.FLOAT;
const H = 8;

function weights(n: number, seed: number, scale: number): Float32Array {
  const next = normalSampler(seed);
  return Float32Array.from({ length: n }, () => scale * next());
}

/**
 * x [1, 16, 6, 6] -> 3x3 Conv (factorizable) -> ConvTranspose (stride 2) -> [96, 1, 12] sequence
 * -> LSTM + GRU -> y: three layers the pipeline quantizes only (test/rewrite/fixedWeights.test.ts).
 */
export function upAndRecurrentModel(): Buffer {
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['x', 'w0'],
        ['c0'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv' },
      ),
      makeNode(
        'ConvTranspose',
        ['c0', 'wt', 'bt'],
        ['u'],
        { kernel_shape: [2, 2], strides: [2, 2] },
        { name: 'up' },
      ),
      makeNode('Reshape', ['u', 'seq_shape'], ['seq']),
      makeNode('LSTM', ['seq', 'lw', 'lr', 'lb'], ['ly'], { hidden_size: H }, { name: 'lstm' }),
      makeNode('GRU', ['seq', 'gw', 'gr'], ['gy'], { hidden_size: H }, { name: 'gru' }),
      makeNode('Add', ['ly', 'gy'], ['y']),
    ],
    inputs: [makeValueInfo('x', F, [1, 16, 6, 6])],
    outputs: [makeValueInfo('y', F, [96, 1, 1, H])],
    initializers: [
      makeTensor('w0', F, [16, 16, 3, 3], weights(2304, 1, 0.2)),
      makeTensor('wt', F, [16, 8, 2, 2], weights(512, 2, 0.3)),
      makeTensor('bt', F, [8], weights(8, 3, 1)),
      makeTensor('seq_shape', DataType.INT64, [3], [96, 1, 12]),
      makeTensor('lw', F, [1, 4 * H, 12], weights(4 * H * 12, 4, 0.3)),
      makeTensor('lr', F, [1, 4 * H, H], weights(4 * H * H, 5, 0.3)),
      makeTensor('lb', F, [1, 8 * H], weights(8 * H, 6, 0.1)),
      makeTensor('gw', F, [1, 3 * H, 12], weights(3 * H * 12, 7, 0.3)),
      makeTensor('gr', F, [1, 3 * H, H], weights(3 * H * H, 8, 0.3)),
    ],
  });
  return Buffer.from(writeModel(makeModel(graph, { opset: 13 })));
}
