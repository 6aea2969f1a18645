// Issue #12, "judged honestly", through the UI: a run whose written model fails its check against
// the 8-bit per-channel PTQ peer (src/core/eval/verdict.ts) gives a red result row that says why.
// PTQ per tensor at 2 bits on the demo's ResNet-20 is deterministic (no random start, no solver)
// and collapses the classifier: its top-1 agreement with the original on the 32 calibration images
// the check feeds falls far under the 70 % bound for 10 classes, while the 8-bit peer keeps ~100 %.
// Quantize-only, uncalibrated and without evaluation data, so the run takes seconds. Needs no ../shared: the demo is bundled.
import { expect, test } from '@playwright/test';
import { freshPage, openDemo } from './open.ts';

test('a written model that fails its check against the 8-bit PTQ peer gives a red row with the reason', async ({
  page,
}) => {
  const pageErrors = await freshPage(page);
  await openDemo(page, 20_000);
  // Without evaluation data the run is compress, write and check: the check is what is tested.
  await page.getByTestId('dataset-evaluation').getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('dataset-evaluation-summary')).toHaveCount(0);
  await page.getByLabel('Method').selectOption('ptq-tensor');
  await page.getByRole('slider', { name: 'Weight bits' }).fill('2');
  await expect(page.getByRole('slider', { name: 'Weight bits' })).toHaveValue('2');
  // Uncalibrated: the check still runs on calibration images, and the run is seconds shorter.
  await page.getByRole('checkbox', { name: /Calibrate after compression/ }).uncheck();

  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 25_000 });
  // Every weight layer on two or more workers: none dominates, so no plan note (planNote.spec).
  await expect(page.getByTestId('run-plan-note')).toHaveCount(0);

  // The run panel says it failed, with both sets of numbers.
  const check = page.getByTestId('run-check');
  await expect(check).toHaveAttribute('data-verdict', 'failed');
  await expect(check).toContainText('Failed: the written model');
  await expect(check).toContainText('top-1 agreement');
  await expect(check).toContainText('8-bit PTQ');

  // The row is red and carries the reason on screen, not only in a tooltip.
  const row = page.getByTestId('result-row');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-verdict', 'failed');
  await expect(row).toHaveClass(/result-failed/);
  const flag = row.getByTestId('result-check-failed');
  await expect(flag).toBeVisible();
  await expect(flag).toHaveAttribute('title', /FAILED: .*8-bit PTQ/);
  await expect(row.getByTestId('result-check-reason')).toContainText('8-bit PTQ');
  const background = await row.evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(background).not.toBe('rgba(0, 0, 0, 0)');
  expect(pageErrors).toEqual([]);
});
