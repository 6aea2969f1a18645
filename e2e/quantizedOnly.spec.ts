// Issue #12 in the app: ConvTranspose, LSTM and GRU weights are quantized only by a run; the layer
// table lists them with their reason, the cost preview counts their bytes, and the written file's
// report says the same. Needs no ../shared.
import { expect, test } from '@playwright/test';
import { upAndRecurrentModel } from './modelFixtures.ts';
import { freshPage, openModelFile } from './open.ts';

test('layers quantized only: in the layer table with their reason and in the preview size', async ({
  page,
}) => {
  const pageErrors = await freshPage(page);
  await openModelFile(page, 'up_recurrent.onnx', upAndRecurrentModel());
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
