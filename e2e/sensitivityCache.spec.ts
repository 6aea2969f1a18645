// Issue #15: measured sensitivities survive a reload. Each (model SHA-256, images, settings,
// layer, option) measurement is kept in IndexedDB under the core's sensitivityKey, so measuring
// the same layers again after a reload measures nothing: every option is reused. Two small
// layers of the demo's ResNet-20 on 32 images keep the spec short.
import { expect, type Page, test } from '@playwright/test';
import { freshPage, openDemo } from './open.ts';

const conv1 = '/layer1/layer1.0/conv1/Conv';
const conv2 = '/layer1/layer1.0/conv2/Conv';

async function pickTwoLayers(page: Page) {
  await page.getByRole('button', { name: 'Select none' }).click();
  await page.getByRole('checkbox', { name: `Compress ${conv1}` }).check();
  await page.getByRole('checkbox', { name: `Compress ${conv2}` }).check();
  await page.getByLabel('Sensitivity images').selectOption('32');
}

test('a sensitivity pass after a reload reuses every measurement from IndexedDB', async ({
  page,
}) => {
  const pageErrors = await freshPage(page, ['qaf-sensitivity']);
  await openDemo(page);
  await pickTwoLayers(page);
  const status = page.getByTestId('sensitivity-status');
  await page.getByRole('button', { name: 'Measure sensitivity' }).click();
  await expect(status).toContainText('Measured 2 layers x 5 options on 32 images', {
    timeout: 60_000,
  });
  await expect(status).toContainText('10 measured, 0 reused');

  await page.reload();
  await openDemo(page);
  await pickTwoLayers(page);
  await page.getByRole('button', { name: 'Measure sensitivity' }).click();
  await expect(status).toContainText('Measured 2 layers x 5 options on 32 images', {
    timeout: 30_000,
  });
  await expect(status).toContainText('0 measured, 10 reused');
  await expect(page.getByTestId('layer-sensitivity')).toHaveCount(2);
  expect(pageErrors).toEqual([]);
});
