// A model with one layer of each kind the pipeline quantizes only, for unit tests and e2e specs
// (no ../shared): x [1, 16, 6, 6] -> 3x3 Conv (factorizable) -> ConvTranspose (stride 2) ->
// [96, 1, 12] sequence -> LSTM + GRU -> y.
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { lcg } from './random.ts';

const F = DataType.FLOAT;
const H = 8;

/** Seeded uniform weights in [-scale, scale). */
function uniform(n: number, seed: number, scale = 1): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length: n }, () => (rand() - 0.5) * 2 * scale);
}

export function upAndRecurrent(): Uint8Array {
  return writeModel(
    makeModel(
      makeGraph({
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
          makeTensor('w0', F, [16, 16, 3, 3], uniform(2304, 1, 0.2)),
          makeTensor('wt', F, [16, 8, 2, 2], uniform(512, 2, 0.3)),
          makeTensor('bt', F, [8], uniform(8, 3)),
          makeTensor('seq_shape', DataType.INT64, [3], [96, 1, 12]),
          makeTensor('lw', F, [1, 4 * H, 12], uniform(4 * H * 12, 4, 0.3)),
          makeTensor('lr', F, [1, 4 * H, H], uniform(4 * H * H, 5, 0.3)),
          makeTensor('lb', F, [1, 8 * H], uniform(8 * H, 6, 0.1)),
          makeTensor('gw', F, [1, 3 * H, 12], uniform(3 * H * 12, 7, 0.3)),
          makeTensor('gr', F, [1, 3 * H, H], uniform(3 * H * H, 8, 0.3)),
        ],
      }),
      { opset: 13 },
    ),
  );
}
