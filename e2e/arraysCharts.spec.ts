// Issue #12 in the app: runs on the user's arrays (no labels) are plotted as agreement with the
// original, in their own set, with titles and cards that never say accuracy. A 10-class
// classifier on a 16-band feature map; needs no ../shared.
import { expect, test } from '@playwright/test';
import { choose, featureClassifier, npy } from './arrayFixtures.ts';
import { freshPage, openModelFile } from './open.ts';

test('runs on arrays: agreement with the original on the charts, not accuracy', async ({
  page,
}) => {
  const pageErrors = await freshPage(page);
  await openModelFile(page, 'classifier.onnx', featureClassifier());
  await choose(page, 'Load input arrays', 'features.npy', npy([64, 16, 8, 8], 5));
  await page.getByLabel('Method').selectOption('ptq-channel');
  for (const bits of [8, 2]) {
    await page.getByRole('slider', { name: 'Weight bits' }).fill(String(bits));
    await page.getByRole('button', { name: 'Compress', exact: true }).click();
    await expect(page.getByTestId('result-row')).toHaveCount(bits === 8 ? 1 : 2, {
      timeout: 60_000,
    });
    await expect(page.getByTestId('run-status')).toHaveText('Done');
  }
  // Class scores: top-1 agreement in the table's agreement column, no accuracy.
  const first = page.getByTestId('result-row').first();
  await expect(first.getByTestId('result-accuracy')).toHaveText('no labels');
  await expect(first.getByTestId('result-arrays-agreement')).toHaveText(/^\d+\.\d %$/);
  await expect(first.getByTestId('result-arrays')).toContainText('logits: top-1 agreement');

  await expect(page.getByTestId('charts-agreement')).toContainText('not an accuracy');
  await expect(page.getByTestId('chart-title').first()).toHaveText(
    'Agreement with the original vs compute',
  );
  const points = page.locator('[data-chart="compute"] [data-point]');
  await expect(points).toHaveCount(2);
  await expect(points.first()).toHaveAttribute('aria-label', /agreement with the original \d/);
  expect(pageErrors).toEqual([]);
});
