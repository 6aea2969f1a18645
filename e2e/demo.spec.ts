// The built-in demo: one click loads ResNet-20 and CIFAR-10 images bundled with the app. This
// test must not need ../shared: it is the one that runs for everyone.
import { expect, test } from '@playwright/test';

test.beforeEach(async ({ page }) => {
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
});

test('Try the demo: ResNet-20 with bundled data, QAF rate 2 / 4 bits on 200 images gives a result row', async ({
  page,
  baseURL,
}) => {
  const origin = new URL(baseURL ?? 'http://localhost:4173').origin;
  const foreign: string[] = [];
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:'))
      foreign.push(url);
  });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByRole('heading', { name: 'resnet20_cifar10.onnx' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 30_000,
  });
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('10 classes');
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images', {
    timeout: 30_000,
  });
  // The demo's own sweep, measured in advance, is on the charts at once, and says so.
  await expect(page.getByTestId('charts-precomputed')).toContainText('measured in advance');
  const charts = page.getByRole('region', { name: 'Trade-offs' });
  // One legend for the charts: colour = method, shape = weight bits (issue #16).
  for (const item of ['QAF (ADMM)', 'FTQ', 'PTQ', '4-bit', '8-bit']) {
    await expect(charts.getByRole('button', { name: item, exact: true })).toBeVisible();
  }
  await expect(page.getByLabel('Method')).toHaveValue('admm');
  await expect(page.getByRole('slider', { name: 'Rate' })).toHaveValue('2');
  await expect(page.getByRole('slider', { name: 'Weight bits' })).toHaveValue('4');

  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 150_000 });
  const row = page.getByTestId('result-row');
  await expect(row).toHaveCount(1);
  // Calibrating by default makes QAF data-aware: solved for the layers' inputs on those images.
  await expect(page.getByTestId('run-objective')).toHaveText(
    "data-aware: solved for the layers' inputs on 256 images",
  );
  await expect(row.getByTestId('result-objective')).toContainText('data-aware');
  const accuracy = Number.parseFloat(
    (await row.getByTestId('result-accuracy').textContent()) ?? '',
  );
  expect(accuracy).toBeGreaterThan(50);
  expect(accuracy).toBeLessThanOrEqual(100);
  expect(pageErrors).toEqual([]);
  expect(foreign).toEqual([]);
});

test('the demo download can be cancelled, and the welcome screen stays usable', async ({
  page,
}) => {
  // Hold the files back so the download is still running when Cancel is clicked.
  await page.route('**/demo/*.bin', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await route.continue().catch(() => {});
  });
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByText('Downloading the demo')).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('Downloading the demo')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Try the demo' })).toBeEnabled();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('the sweep grid is editable: point count and time follow the choice; a small grid runs', async ({
  page,
}) => {
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images', {
    timeout: 30_000,
  });
  const estimate = page.getByTestId('sweep-estimate');
  // Defaults: ADMM, FTQ, PTQ × rates 1.5, 2, 3 × bits 4, 8, calibrated twins, float.
  await expect(estimate).toContainText('29 points (calibrated twins included) on 1,000 images');
  const grid = page.getByTestId('sweep-grid');
  const methods = grid.getByRole('group', { name: 'Sweep methods' });
  for (const name of ['QAF (ADMM)', 'FTQ']) await methods.getByLabel(name).uncheck();
  await grid.getByRole('group', { name: 'Weight bits' }).getByLabel('4').uncheck();
  await page.getByRole('button', { name: '200', exact: true }).click();
  await expect(estimate).toContainText('3 points (calibrated twins included) on 200 images');
  await grid.getByRole('group', { name: 'Weight bits' }).getByLabel('8').uncheck();
  await expect(estimate).toContainText('Choose at least one method');
  await expect(page.getByRole('button', { name: 'Run baseline sweep' })).toBeDisabled();
  await grid.getByRole('group', { name: 'Weight bits' }).getByLabel('8').check();
  await page.getByRole('button', { name: 'Run baseline sweep' }).click();
  await expect(page.getByTestId('sweep-controls')).toContainText('Run baseline sweep', {
    timeout: 120_000,
  });
  await expect(page.getByTestId('sweep-controls').locator('.field-error')).toHaveCount(0);
  // The choice persists across a reload.
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('sweep-estimate')).toContainText('3 points', { timeout: 30_000 });
});
