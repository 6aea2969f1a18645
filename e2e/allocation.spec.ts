// Per-layer allocation on the built-in demo (issue #15): a layer's own bits or "keep" moves the
// cost preview, "Reset all to global" brings it back, and a run with an override is a result row
// that says "allocated". One small layer is compressed so the spec stays short.
import { expect, test } from '@playwright/test';
import { freshPage, openDemo } from './open.ts';

const conv1 = '/layer1/layer1.0/conv1/Conv';
const conv2 = '/layer1/layer1.0/conv2/Conv';
const big = '/layer3/layer3.2/conv2/Conv';

test('per-layer keep and bits move the cost preview; an allocated run says so in its row', async ({
  page,
}) => {
  const pageErrors = await freshPage(page);
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByRole('heading', { name: 'resnet20_cifar10.onnx' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 30_000,
  });
  const bop = page.getByTestId('preview-bop');
  const uniform = await bop.textContent();

  // Keeping the largest layer (8-bit weights like the other layers) costs more BOPs.
  await page.getByRole('checkbox', { name: `Keep ${big}` }).check();
  await expect(bop).not.toHaveText(uniform ?? '');
  const kept = Number.parseFloat((await bop.textContent()) ?? '');
  expect(kept).toBeGreaterThan(Number.parseFloat(uniform ?? ''));
  await expect(page.getByTestId('override-count')).toHaveText('0 layers set apart, 1 kept');
  // 8 bits on another layer costs more again.
  await page.getByRole('combobox', { name: `Bits for ${conv1}` }).selectOption('8');
  await expect
    .poll(async () => Number.parseFloat((await bop.textContent()) ?? ''))
    .toBeGreaterThan(kept);
  await page.getByRole('button', { name: 'Reset all to global' }).click();
  await expect(bop).toHaveText(uniform ?? '');

  // A short run: two layers picked, one of them kept, so one small layer is compressed.
  await page.getByRole('button', { name: 'Select none' }).click();
  await page.getByRole('checkbox', { name: `Compress ${conv1}` }).check();
  await page.getByRole('checkbox', { name: `Compress ${conv2}` }).check();
  await page.getByRole('checkbox', { name: `Keep ${conv2}` }).check();
  await page.getByRole('spinbutton', { name: `Rate for ${conv1}` }).fill('3');
  await expect(page.getByTestId('override-count')).toHaveText('1 layer set apart, 1 kept');
  await page.getByRole('checkbox', { name: /Calibrate after compression/ }).uncheck();
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 60_000 });
  const row = page.getByTestId('result-row');
  await expect(row).toHaveCount(1);
  await expect(row.first()).toContainText('QAF (ADMM), allocated');
  await expect(row.first()).toContainText('per layer');
  expect(pageErrors).toEqual([]);
});

test('measure sensitivity on two layers (cancel, then again); the cheapest budget fills the overrides', async ({
  page,
}) => {
  const pageErrors = await freshPage(page);
  await openDemo(page);
  await page.getByRole('button', { name: 'Select none' }).click();
  await page.getByRole('checkbox', { name: `Compress ${conv1}` }).check();
  await page.getByRole('checkbox', { name: `Compress ${big}` }).check();
  await page.getByLabel('Sensitivity images').selectOption('32');
  const status = page.getByTestId('sensitivity-status');

  await page.getByRole('button', { name: 'Measure sensitivity' }).click();
  await expect(status).toContainText('Measuring');
  await page.getByRole('button', { name: 'Cancel' }).first().click();
  await expect(status).toContainText('Cancelled');

  await page.getByRole('button', { name: 'Measure sensitivity' }).click();
  await expect(status).toContainText('Measured 2 layers x 5 options on 32 images', {
    timeout: 60_000,
  });
  await expect(page.getByTestId('layer-sensitivity')).toHaveCount(2);

  // The table counts float activations, and the BOP budget says what 8-bit ones would change.
  await expect(page.getByTestId('budget-activations-hint')).toContainText('4x fewer');
  // The cheapest budget: every layer at its cheapest option, written into the overrides.
  const bop = page.getByTestId('preview-bop');
  const before = await bop.textContent();
  const slider = page.getByRole('slider', { name: 'Budget (BOP %)' });
  await slider.focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('budget-solved')).toContainText('(optimal)');
  await expect(page.getByTestId('override-count')).toHaveText('2 layers set apart, 0 kept');
  await expect(bop).not.toHaveText(before ?? '');
  await page.getByLabel('Heat map').check();
  await expect(page.getByTestId('sensitivity-heatmap').locator('tbody tr')).toHaveCount(2);

  // A BOP budget with a cap on the stored bytes (the CLI's --budget bops=..,size=..): at the
  // smallest cap every layer takes its smallest stored option, and the BOPs still hold.
  await slider.focus();
  await page.keyboard.press('End');
  await expect(page.getByTestId('budget-solved')).toContainText('(optimal)');
  await page.getByLabel('Also keep the stored weights within').check();
  const cap = page.getByRole('slider', { name: 'Size cap (stored weight bytes)' });
  await cap.focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('budget-solved')).toContainText('both limits hold');
  const capText = (await page.getByTestId('size-cap-value').textContent()) ?? '';
  await expect(page.getByTestId('budget-solved')).toContainText(`${capText} weights as stored`);

  expect(pageErrors).toEqual([]);
});
