// A run started right after a sweep cancel must finish (it was once seen to hang on
// "Evaluating"). Uses the bundled demo, so it does not need ../shared.
import { expect, test } from '@playwright/test';

test('cancel a sweep mid-point, then Compress & evaluate at once: the run finishes', async ({
  page,
}) => {
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 30_000,
  });
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images');
  await page.getByRole('button', { name: '200', exact: true }).click();

  for (const waitMs of [1_500, 6_000]) {
    await page.getByRole('button', { name: 'Run baseline sweep' }).click();
    await expect(page.getByRole('button', { name: 'Cancel sweep' })).toBeVisible();
    await page.waitForTimeout(waitMs);
    await page.getByRole('button', { name: 'Cancel sweep' }).click();
    await page.getByRole('button', { name: 'Compress & evaluate' }).click();
    await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 150_000 });
  }
  await expect(page.getByTestId('result-row')).toHaveCount(2);
});
