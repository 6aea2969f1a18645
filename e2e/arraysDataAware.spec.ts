// Issue #12 in the app: without images, data-aware QAF takes its layers' input statistics from the
// user's input arrays, as the calibration does. The first conv reads the graph input directly
// (its statistics are the fed arrays themselves): the run must say it solved data-aware on the
// arrays, not fall back to the paper's objective. Needs no ../shared.
import { expect, test } from '@playwright/test';
import { choose, featureModel, npy } from './arrayFixtures.ts';
import { freshPage, openModelFile } from './open.ts';

test('data-aware QAF on input arrays, a conv fed by the graph input included', async ({ page }) => {
  const pageErrors = await freshPage(page);
  await openModelFile(page, 'feature_net.onnx', featureModel());
  await choose(page, 'Load input arrays', 'features.npy', npy([24, 16, 4, 8], 2));
  await expect(page.getByTestId('dataset-arrays-summary')).toContainText('24 samples');

  await page.getByLabel('Method').selectOption('admm');
  await expect(page.getByRole('button', { name: 'Data-aware', exact: true })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 60_000 });
  await expect(page.getByTestId('run-objective')).toHaveText(
    "data-aware: solved for the layers' inputs on 24 samples of your arrays (features.npy)",
  );
  await expect(page.getByTestId('run-calibration')).toContainText('calibrated on 24 samples');
  // Random full-rank weights at rate 2 do not pass the check against 8-bit PTQ: only that it ran
  // on the arrays is asserted here (inputArrays.spec.ts asserts a passing check).
  await expect(page.getByTestId('run-check')).toContainText(
    '24 samples of your inputs (features.npy)',
  );
  expect(pageErrors).toEqual([]);
});
