// Calibration on by default: with no separate calibration set, a run calibrates on a part of the
// evaluation set and evaluates the rest, and says so before the run (data panel), during it (run
// panel) and after it (the report). Switching calibration off evaluates every image. On the
// built-in demo with its calibration set removed, so it needs no ../shared.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

test.beforeEach(async ({ page }) => {
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
});

test('no calibration set: 256 of the 1,000 demo images calibrate, the other 744 are evaluated', async ({
  page,
}) => {
  test.setTimeout(360_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 60_000,
  });
  const calibrationSlot = page.getByTestId('dataset-calibration');
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images', {
    timeout: 60_000,
  });
  // A separate set: nothing is taken from the evaluation images.
  await expect(page.getByTestId('calibration-source')).toHaveCount(0);
  await calibrationSlot.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('dataset-calibration-summary')).toHaveCount(0);

  const note = page.getByTestId('calibration-source');
  await expect(note).toContainText(
    'No calibration set: 256 of the 1,000 evaluation images (class-balanced) calibrate each run, and the other 744 are evaluated.',
  );
  await page.getByRole('button', { name: '200', exact: true }).click();
  await expect(note).toContainText('256 other images of');
  await expect(note).toContainText('the 200 evaluated stay as they are');
  await page.getByRole('button', { name: 'Quick (1,000)' }).click();
  await expect(page.getByRole('checkbox', { name: /Calibrate after compression/ })).toBeChecked();

  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 300_000 });
  await expect(page.getByTestId('run-calibration')).toHaveText(
    'calibrated on 256 of your images, evaluated on the other 744',
  );
  await expect(page.getByTestId('run-calibration-warning')).toHaveCount(0);
  const row = page.getByTestId('result-row');
  await expect(row).toHaveCount(1);
  await expect(row.locator('td').nth(4)).toHaveText('yes');
  const accuracy = Number.parseFloat(
    (await row.getByTestId('result-accuracy').textContent()) ?? '',
  );
  expect(accuracy).toBeGreaterThan(50);
  // The float model is measured on the same 744 images.
  await expect(page.getByTestId('original-row')).toContainText('744 images');
  // On the run's own image set the marker finds it: the settings are calibrated (on the
  // evaluation set's part), as the run was.
  const imageSet = page.getByRole('combobox', { name: 'Image set' });
  const set744 = await imageSet.locator('option', { hasText: '744 images' }).getAttribute('value');
  await imageSet.selectOption(set744 ?? '');
  await expect(page.getByTestId('current-point')).toContainText(' cal: ');
  await expect(page.getByTestId('current-point')).toContainText('(measured)');

  // The report says it too: in the row and in the compression notes.
  const download = page.waitForEvent('download');
  await row.getByRole('button', { name: 'Report' }).click();
  const report = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
  expect(report.result.calibration).toBe(
    'calibrated on 256 of your images, evaluated on the other 744',
  );
  expect(report.result.evaluation.images).toBe(744);
  expect(report.compression.notes).toContain(
    'calibrated on 256 of your images, evaluated on the other 744',
  );

  // Calibration off: every image is evaluated, nothing is said about calibration.
  await page.getByRole('checkbox', { name: /Calibrate after compression/ }).uncheck();
  await expect(note).toContainText('Calibration is off');
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 300_000 });
  await expect(page.getByTestId('run-calibration')).toHaveCount(0);
  await expect(row).toHaveCount(2);
  const calibrated = await page
    .locator('[data-testid=result-row] td:nth-child(5)')
    .allTextContents();
  expect(calibrated.sort()).toEqual(['no', 'yes']);
  expect(pageErrors).toEqual([]);
});
