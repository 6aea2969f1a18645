// Issue #12 in the app: a model that does not take images (here a conv net on a 16-band
// "features" map [N, 16, 4, 8], no class scores) is checked on the user's own arrays (.npy per input, or a .npz), matched to its
// inputs by the core's reader; a wrong shape is refused naming both shapes; without images they
// also give the activation ranges and the calibration. Needs no ../shared.
import { expect, test } from '@playwright/test';
import { choose, featureModel, npy } from './arrayFixtures.ts';
import { freshPage, openModelFile } from './open.ts';

test('arrays per input: a wrong shape is refused naming both, the right ones feed the check', async ({
  page,
}) => {
  const pageErrors = await freshPage(page);
  await openModelFile(page, 'feature_net.onnx', featureModel());

  // 7 steps where the model takes 8: refused before any run, both shapes named.
  await choose(page, 'Load input arrays', 'features.npy', npy([6, 16, 4, 7], 1));
  const error = page.getByTestId('dataset-arrays-error');
  await expect(error).toContainText('shape (6, 16, 4, 7)');
  await expect(error).toContainText('[N, 16, 4, 8]');
  await expect(error).toContainText('dimension 3 is 7, the model needs 8');
  await expect(page.getByTestId('dataset-arrays-summary')).toHaveCount(0);

  await choose(page, 'Load input arrays', 'features.npy', npy([24, 16, 4, 8], 2));
  await expect(page.getByTestId('dataset-arrays-summary')).toContainText(
    'features.npy: 24 samples: features [16, 4, 8] float32',
  );
  await expect(error).toHaveCount(0);

  await page.getByLabel('Method').selectOption('ptq-channel');
  // No images: the arrays calibrate the model too (8-bit activations need their ranges).
  const calibrate = page.getByRole('checkbox', { name: /Calibrate after compression/ });
  await expect(calibrate).toBeEnabled();
  await expect(calibrate).toBeChecked();
  await page
    .getByRole('group', { name: 'Activations' })
    .getByRole('button', { name: '8-bit' })
    .click();
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 20_000 });
  await expect(page.getByTestId('run-calibration')).toHaveText(
    'calibrated on 24 samples of your arrays (features.npy); the check runs on samples of the same arrays',
  );
  const check = page.getByTestId('run-check');
  await expect(check).toContainText('24 samples of your inputs (features.npy)');
  await expect(check).toContainText('rel. L2');
  await expect(check).toHaveAttribute('data-verdict', 'ok');
  await expect(page.getByTestId('result-row')).toContainText('yes');

  expect(pageErrors).toEqual([]);
});
