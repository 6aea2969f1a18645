// Fixtures for the e2e specs on input arrays (issue #12): a small conv net on a 16-band
// "features" map whose first conv reads the graph input directly, and seeded .npy files.
import type { Page } from '@playwright/test';
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

/** features [N, 16, H, W] (default 4 x 8) -> 3x3 conv to 32 channels (factorizable) -> ReLU -> 1x1
 * conv to 4. */
export function featureModel(height = 4, width = 8): Buffer {
  const next = normalSampler(7);
  const weights = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => scale * next());
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['features', 'w1'],
        ['h'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv1' },
      ),
      makeNode('Relu', ['h'], ['r'], {}, { name: 'relu' }),
      makeNode('Conv', ['r', 'w2'], ['y'], { kernel_shape: [1, 1] }, { name: 'conv2' }),
    ],
    inputs: [makeValueInfo('features', DataType.FLOAT, ['N', 16, height, width])],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['N', 4, height, width])],
    initializers: [
      makeTensor('w1', DataType.FLOAT, [32, 16, 3, 3], weights(32 * 16 * 9, 0.2)),
      makeTensor('w2', DataType.FLOAT, [4, 32, 1, 1], weights(4 * 32, 0.3)),
    ],
  });
  return Buffer.from(writeModel(makeModel(graph)));
}

/** A float32 .npy (format 1.0) of the given shape, filled with seeded noise. */
export function npy(shape: number[], seed: number): Buffer {
  const next = normalSampler(seed);
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ');
  header += '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]);
}

export async function choose(
  page: Page,
  button: string,
  name: string,
  buffer: Buffer,
): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: button }).first().click();
  await (await chooser).setFiles({ name, mimeType: 'application/octet-stream', buffer });
}

/**
 * A classifier on features [N, 16, 8, 8]: 3x3 conv to 32 (factorizable) -> ReLU -> global average
 * pool -> Flatten -> Gemm to 10 class scores [N, 10], whose top-1 the app compares.
 */
export function featureClassifier(): Buffer {
  const next = normalSampler(11);
  const weights = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => scale * next());
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['features', 'w1'],
        ['h'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv1' },
      ),
      makeNode('Relu', ['h'], ['r'], {}, { name: 'relu' }),
      makeNode('GlobalAveragePool', ['r'], ['p'], {}, { name: 'pool' }),
      makeNode('Flatten', ['p'], ['f'], {}, { name: 'flatten' }),
      makeNode('Gemm', ['f', 'wc'], ['logits'], { transB: 1 }, { name: 'fc' }),
    ],
    inputs: [makeValueInfo('features', DataType.FLOAT, ['N', 16, 8, 8])],
    outputs: [makeValueInfo('logits', DataType.FLOAT, ['N', 10])],
    initializers: [
      makeTensor('w1', DataType.FLOAT, [32, 16, 3, 3], weights(32 * 16 * 9, 0.2)),
      makeTensor('wc', DataType.FLOAT, [10, 32], weights(10 * 32, 1)),
    ],
  });
  return Buffer.from(writeModel(makeModel(graph)));
}
