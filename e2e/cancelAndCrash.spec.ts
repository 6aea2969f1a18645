// Cancel while a model is parsed, and a compression worker that cannot start. Both use the
// bundled demo files, so neither needs ../shared.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

const demoModel = {
  name: 'resnet20_cifar10.onnx',
  mimeType: 'application/octet-stream',
  buffer: readFileSync(new URL('../public/demo/resnet20_cifar10.onnx', import.meta.url)),
};

test('Cancel during a model parse ends the model worker; the next open works', async ({ page }) => {
  // The first model worker is slow to arrive, so the parse is still pending when Cancel is clicked.
  let delayed = false;
  await page.route(/model\.worker[^/]*\.js/, async (route) => {
    if (!delayed) {
      delayed = true;
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
    await route.continue().catch(() => {});
  });
  await page.goto('/');
  let chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open model' }).first().click();
  await (await chooser).setFiles(demoModel);
  await expect(page.getByText(`Parsing ${demoModel.name}`)).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText(`Parsing ${demoModel.name}`)).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Open a model to begin' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);

  chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open model' }).first().click();
  await (await chooser).setFiles(demoModel);
  await expect(page.getByRole('heading', { name: demoModel.name })).toBeVisible({
    timeout: 30_000,
  });
});

test('a compression worker that cannot start fails the run with a message; the next run works', async ({
  page,
}) => {
  await page.route(/compress\.worker[^/]*\.js/, (route) =>
    route.fulfill({ status: 404, body: '' }),
  );
  await page.goto('/');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 30_000,
  });
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Failed', { timeout: 30_000 });
  await expect(page.getByTestId('run-panel-message')).toContainText('compression worker');
  await expect(page.getByTestId('run-panel-message')).toContainText('Run again');

  await page.unroute(/compress\.worker[^/]*\.js/);
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 150_000 });
  await expect(page.getByTestId('result-row')).toHaveCount(1);
});
