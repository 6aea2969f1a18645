// Issue #16 item 1 on the built-in demo: "Download this model" from a clicked sweep point builds
// it from the layers this session already computed (a run of the same settings on other
// images), factorizing none of them again.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { readModel } from '../src/core/onnx/reader.ts';

test('a clicked point downloads from cached layers: none factorized again', async ({ page }) => {
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images', {
    timeout: 60_000,
  });
  // A PTQ 4-bit run on 200 images computes (and caches) every layer.
  await page.getByLabel('Method', { exact: true }).selectOption('ptq-tensor');
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 60_000 });

  // The same configuration measured in advance on 1,000 images: a sweep point, no run of its own.
  await page.getByRole('heading', { name: 'Trade-offs' }).scrollIntoViewIfNeeded();
  const target = page.locator(
    'figure[data-chart="compute"] [data-point][data-method="ptq"][data-bits="4"][data-calibrated="true"][data-images="1000"]',
  );
  await expect(target).toHaveCount(1);
  await target.click();
  const bar = page.getByTestId('point-download');
  await expect(bar).toContainText('sweep point');
  const download = page.waitForEvent('download');
  await bar.getByRole('button', { name: 'Download this model' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('resnet20_ptq_w4_cal.onnx');
  await expect(page.getByTestId('run-detail')).toHaveText(
    /^built for download: all \d+ layers from the cache, none factorized$/,
  );
  const bytes = new Uint8Array(readFileSync(await file.path()));
  expect(readModel(bytes).graph.node?.length ?? 0).toBeGreaterThan(10);
});
