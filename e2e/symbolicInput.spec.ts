import { expect, test } from '@playwright/test';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../src/core/onnx/builders.ts';
import { writeModel } from '../src/core/onnx/reader.ts';
import { DataType } from '../src/core/onnx/types.ts';

/** One 3x3 conv, 3 -> 8 channels, on an input whose height and width are symbolic. */
function convWithSymbolicSize(): number[] {
  const weight = makeTensor('w', DataType.FLOAT, [8, 3, 3, 3], new Float32Array(8 * 27).fill(0.1));
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['x', 'w'],
        ['y'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv1' },
      ),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, ['N', 3, 'H', 'W'])],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['N', 8, 'H', 'W'])],
    initializers: [weight],
  });
  return [...writeModel(makeModel(graph))];
}

test('a model dropped on the page, with symbolic H and W, gets MACs once given an input shape', async ({
  page,
}) => {
  await page.goto('/');
  // Drop the file anywhere on the page, as a user dragging it from their file manager would.
  const dataTransfer = await page.evaluateHandle((bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'tiny_conv.onnx'));
    return transfer;
  }, convWithSymbolicSize());
  await page.dispatchEvent('main', 'dragenter', { dataTransfer });
  await page.dispatchEvent('main', 'drop', { dataTransfer });

  await expect(page.getByRole('heading', { name: 'tiny_conv.onnx' })).toBeVisible();
  await expect(page.locator('table.layer-table tbody tr')).toHaveCount(1);
  await expect(page.getByText('216', { exact: true }).first()).toBeVisible();
  await expect(page.getByText('unknown', { exact: true }).first()).toBeVisible();

  const field = page.getByRole('textbox', { name: /x/ });
  await field.fill('1,3,abc,32');
  await page.getByRole('button', { name: 'Apply shape' }).click();
  await expect(page.getByText('x: "abc" is not a positive whole number')).toBeVisible();

  await field.fill('1,3,32,32');
  await page.getByRole('button', { name: 'Apply shape' }).click();
  // 8 output channels x 32 x 32 positions x 27 weights each.
  await expect(page.getByText('221,184 MACs')).toBeVisible();
  await expect(page.getByText('unknown', { exact: true })).toHaveCount(0);
});
