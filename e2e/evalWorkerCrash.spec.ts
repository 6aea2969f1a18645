import { expect, test } from '@playwright/test';
import { hasShared, sharedPath, sharedSkipReason } from './shared.ts';

test.describe('evaluation worker failure', () => {
  test.skip(!hasShared, sharedSkipReason);

  test('an evaluation worker that cannot start gives an error beside the data, and the next load works', async ({
    page,
  }) => {
    await page.route(/eval\.worker[^/]*\.js/, (route) => route.fulfill({ status: 404, body: '' }));
    await page.goto('/');
    await page.evaluate(() => localStorage.clear());
    let chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Open model' }).first().click();
    await (await chooser).setFiles(sharedPath('models/resnet20_cifar10.onnx'));
    await expect(page.getByRole('heading', { name: 'resnet20_cifar10.onnx' })).toBeVisible();

    const data = sharedPath('data/cifar10_test_batch.bin');
    chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Load evaluation data' }).click();
    await (await chooser).setFiles(data);
    await expect(page.getByTestId('dataset-evaluation')).toContainText(
      'the evaluation worker stopped',
    );

    await page.unroute(/eval\.worker[^/]*\.js/);
    chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Load evaluation data' }).click();
    await (await chooser).setFiles(data);
    await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('10,000 images', {
      timeout: 60_000,
    });
  });
});
