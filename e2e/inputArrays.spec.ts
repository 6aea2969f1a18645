// Issue #12 in the app: a model that does not take images (here a 1-D conv net on "features"
// [N, 8, 32]) is checked on the user's own arrays (.npy per input, or a .npz), matched to its
// inputs by the core's reader; a wrong shape is refused naming both shapes. Needs no ../shared.
import { expect, type Page, test } from '@playwright/test';
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

/** Two 1-D convs: features [N, 8, 32] -> 16 channels (k 3) -> ReLU -> 4 channels (k 1). */
function conv1dModel(): Buffer {
  const next = normalSampler(7);
  const weights = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => scale * next());
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['features', 'w1'],
        ['h'],
        { kernel_shape: [3], pads: [1, 1] },
        { name: 'conv1' },
      ),
      makeNode('Relu', ['h'], ['r'], {}, { name: 'relu' }),
      makeNode('Conv', ['r', 'w2'], ['y'], { kernel_shape: [1] }, { name: 'conv2' }),
    ],
    inputs: [makeValueInfo('features', DataType.FLOAT, ['N', 8, 32])],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['N', 4, 32])],
    initializers: [
      makeTensor('w1', DataType.FLOAT, [16, 8, 3], weights(16 * 8 * 3, 0.3)),
      makeTensor('w2', DataType.FLOAT, [4, 16, 1], weights(4 * 16, 0.3)),
    ],
  });
  return Buffer.from(writeModel(makeModel(graph)));
}

/** A float32 .npy (format 1.0) of the given shape, filled with seeded noise. */
function npy(shape: number[], seed: number): Buffer {
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

async function choose(page: Page, button: string, name: string, buffer: Buffer): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: button }).first().click();
  await (await chooser).setFiles({ name, mimeType: 'application/octet-stream', buffer });
}

test('arrays per input: a wrong shape is refused naming both, the right ones feed the check', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await choose(page, 'Open model', 'conv1d_features.onnx', conv1dModel());
  await expect(page.getByRole('heading', { name: 'conv1d_features.onnx' })).toBeVisible({
    timeout: 20_000,
  });

  // 31 steps where the model takes 32: refused before any run, both shapes named.
  await choose(page, 'Load input arrays', 'features.npy', npy([6, 8, 31], 1));
  const error = page.getByTestId('dataset-arrays-error');
  await expect(error).toContainText('shape (6, 8, 31)');
  await expect(error).toContainText('[N, 8, 32]');
  await expect(error).toContainText('dimension 2 is 31, the model needs 32');
  await expect(page.getByTestId('dataset-arrays-summary')).toHaveCount(0);

  await choose(page, 'Load input arrays', 'features.npy', npy([24, 8, 32], 2));
  await expect(page.getByTestId('dataset-arrays-summary')).toContainText(
    'features.npy: 24 samples: features [8, 32] float32',
  );
  await expect(error).toHaveCount(0);

  await page.getByLabel('Method').selectOption('ptq-channel');
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 20_000 });
  const check = page.getByTestId('run-check');
  await expect(check).toContainText('24 samples of your inputs (features.npy)');
  await expect(check).toContainText('rel. L2');
  await expect(check).toHaveAttribute('data-verdict', 'ok');
  expect(pageErrors).toEqual([]);
});
