// Issue #12 in the app: ConvTranspose, LSTM and GRU weights are quantized only by a run; the layer
// table lists them with their reason, the cost preview counts their bytes, and the written file's
// report says the same. Needs no ../shared.
import { expect, test } from '@playwright/test';
import { choose } from './arrayFixtures.ts';
import { upAndRecurrentModel } from './modelFixtures.ts';

test('layers quantized only: in the layer table with their reason and in the preview size', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await choose(page, 'Open model', 'up_recurrent.onnx', upAndRecurrentModel());
  await expect(page.getByRole('heading', { name: 'up_recurrent.onnx' })).toBeVisible({
    timeout: 20_000,
  });
  const rows = page.getByTestId('quantized-only-row');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText('ConvTranspose');
  await expect(rows.nth(0)).toContainText('quantize only (8-bit per channel): ConvTranspose');
  await expect(rows.nth(1)).toContainText('LSTM: not factorized');
  await expect(page.getByTestId('preview-quantized-only')).toContainText('Includes 3 more layers');
  await expect(page.getByTestId('preview-quantized-only')).toContainText('1,632 weights');

  await page.getByLabel('Method').selectOption('ptq-channel');
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 60_000 });
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  expect(pageErrors).toEqual([]);
});
