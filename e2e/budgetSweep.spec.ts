// The budget sweep on the built-in demo (issue #15 item 4): after a sensitivity pass on one small
// layer, "Run budget sweep" runs the solver's allocation at 3 BOP budgets as runs; each is a
// result row naming its budget, and the points make the allocated curve on the charts. A second
// sweep is cancelled: the finished points stay.
import { expect, test } from '@playwright/test';
import { freshPage, openDemo } from './open.ts';

const conv1 = '/layer1/layer1.0/conv1/Conv';

test('a budget sweep draws the allocated curve; cancel keeps what finished', async ({ page }) => {
  const pageErrors = await freshPage(page);
  await openDemo(page);
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 30_000,
  });
  await page.getByRole('button', { name: 'Select none' }).click();
  await page.getByRole('checkbox', { name: `Compress ${conv1}` }).check();
  await page.getByRole('checkbox', { name: /Calibrate after compression/ }).uncheck();
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByLabel('Sensitivity images').selectOption('32');
  await page.getByRole('button', { name: 'Measure sensitivity' }).click();
  await expect(page.getByTestId('sensitivity-status')).toContainText(
    'Measured 1 layer x 5 options',
    {
      timeout: 60_000,
    },
  );

  const sweep = page.getByTestId('budget-sweep');
  await sweep.getByLabel('Budgets in the sweep').selectOption('3');
  await sweep.getByRole('button', { name: 'Run budget sweep' }).click();
  const status = page.getByTestId('budget-sweep-status');
  await expect(status).toContainText('Budget sweep done: 3 allocations', { timeout: 120_000 });
  await expect(status).toContainText('uniform QAF rates 4 to 2 at 4 bits');
  const rows = page.getByTestId('result-sweep');
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText(/budget \d+\.\d\d %/);
  await expect(page.getByTestId('result-row').first()).toContainText('QAF (ADMM), allocated');
  // The sweep's points are on the 200-image set; the demo's uniform curves on 1,000.
  const imageSet = page.getByRole('combobox', { name: 'Image set' });
  const set200 = await imageSet.locator('option', { hasText: '200 images' }).getAttribute('value');
  await imageSet.selectOption(set200 ?? '');
  await expect(page.getByTestId('allocated-curve').first()).toBeAttached();
  await expect(page.getByTestId('legend-allocated')).toBeVisible();

  // Again, cancelled while its first point runs: the three finished points stay.
  await sweep.getByRole('button', { name: 'Run budget sweep' }).click();
  await expect(sweep.getByRole('button', { name: 'Cancel budget sweep' })).toBeVisible();
  await sweep.getByRole('button', { name: 'Cancel budget sweep' }).click();
  await expect(status).toContainText('Budget sweep cancelled', { timeout: 30_000 });
  await expect(page.getByTestId('result-sweep')).toHaveCount(3);
  await expect(sweep.getByRole('button', { name: 'Run budget sweep' })).toBeEnabled();
  expect(pageErrors).toEqual([]);
});
