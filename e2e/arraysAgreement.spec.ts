// Issue #12 in the app: with input arrays and no labelled images a run is "evaluated" as agreement
// with the original model on the arrays (never as accuracy): the samples that calibrated it are
// left out, every output gets its figure, and the results table says what the numbers are.
// Needs no ../shared.
import { expect, test } from '@playwright/test';
import { choose, featureModel, npy } from './arrayFixtures.ts';
import { freshPage, openModelFile } from './open.ts';

test('a run on arrays is compared with the original on the samples calibration left', async ({
  page,
}) => {
  const pageErrors = await freshPage(page);
  await openModelFile(page, 'feature_net.onnx', featureModel());
  // 300 samples: the calibration takes 256 of them, the comparison the other 44.
  await choose(page, 'Load input arrays', 'features.npy', npy([300, 16, 4, 8], 3));
  await expect(page.getByTestId('dataset-arrays-summary')).toContainText('300 samples');
  await page.getByLabel('Method').selectOption('ptq-channel');
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 60_000 });

  const row = page.getByTestId('result-row');
  await expect(row.getByTestId('result-accuracy')).toHaveText('no labels');
  await expect(row.getByTestId('result-arrays')).toContainText(
    'Agreement with the original model, not accuracy (your arrays have no labels), on features.npy (the 44 samples not used for calibration): y: rel. L2 ',
  );
  await expect(row.getByTestId('result-arrays')).toContainText('SQNR');
  await expect(row.getByTestId('result-arrays-change')).toHaveText(/^rel\. L2 0\.\d{3}$/);
  // y is [N, 4, 4, 8]: not class scores, so no agreement figure.
  await expect(row.getByTestId('result-arrays-agreement')).toHaveText('—');
  expect(pageErrors).toEqual([]);
});
