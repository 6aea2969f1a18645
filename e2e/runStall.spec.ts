// The stall watchdog: an evaluation worker that stops answering shows Retry / Cancel instead of
// spinning; Retry starts the run again with a fresh worker. Uses the bundled demo (no ../shared)
// and a short threshold (?stallMs=) so the test does not wait a minute.
import { expect, test } from '@playwright/test';

test('a stuck evaluation worker: the run says so, and Retry finishes it', async ({ page }) => {
  await page.goto('/?testHooks&stallMs=2000');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 30_000,
  });
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images');
  await page.getByRole('button', { name: '200', exact: true }).click();

  const evalWorker = page.workers().find((w) => w.url().includes('eval.worker'));
  expect(evalWorker).toBeDefined();
  // Freeze the evaluation worker for 20 s: the run reaches it after factorizing and gets no answer.
  void evalWorker!
    .evaluate(() => {
      const until = Date.now() + 20_000;
      while (Date.now() < until) {}
    })
    .catch(() => {}); // the worker is terminated by Retry
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-stalled')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('run-stalled')).toContainText('No progress for a while');
  await page.getByRole('button', { name: 'Retry' }).click();
  await expect(page.getByTestId('run-stalled')).toHaveCount(0);
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 120_000 });
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images');
});
