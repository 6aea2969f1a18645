// Issue #12 in the app: "Run baseline sweep" with input arrays and no labelled images runs the
// grid point by point as runs on the arrays, each compared with the original (agreement, never
// accuracy), in the results table and on the charts. Needs no ../shared.
import { expect, test } from '@playwright/test';
import { choose, featureClassifier, npy } from './arrayFixtures.ts';
import { freshPage, openModelFile } from './open.ts';

test('a sweep on arrays: every point a run compared with the original', async ({ page }) => {
  const pageErrors = await freshPage(page);
  await openModelFile(page, 'classifier.onnx', featureClassifier());
  await choose(page, 'Load input arrays', 'features.npy', npy([64, 16, 8, 8], 6));

  // PTQ at 4 and 8 bits, each with its calibrated twin: four runs.
  const grid = page.getByTestId('sweep-grid');
  await grid.getByRole('checkbox', { name: 'QAF (ADMM)' }).uncheck();
  await grid.getByRole('checkbox', { name: 'FTQ' }).uncheck();
  await expect(page.getByTestId('sweep-estimate')).toHaveText(
    '4 runs on your arrays (features.npy; calibrated twins included), each compared with the original: agreement, not accuracy',
  );
  await page.getByRole('button', { name: 'Run baseline sweep' }).click();
  await expect(page.getByTestId('result-row')).toHaveCount(4, { timeout: 120_000 });
  await expect(page.getByRole('button', { name: 'Run baseline sweep' })).toBeEnabled({
    timeout: 30_000,
  });
  const rows = page.getByTestId('result-row');
  await expect(rows.getByTestId('result-sweep')).toHaveCount(4);
  await expect(rows.getByTestId('result-accuracy')).toHaveText(Array(4).fill('no labels'));
  await expect(rows.getByTestId('result-arrays')).toHaveCount(4);
  await expect(page.getByTestId('chart-title').first()).toHaveText(
    'Agreement with the original vs compute',
  );
  await expect(page.locator('[data-chart="compute"] [data-point]')).toHaveCount(4);
  expect(pageErrors).toEqual([]);
});
