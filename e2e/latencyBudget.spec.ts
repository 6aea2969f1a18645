// Issue #15 item 2 in the app: a budget on measured latency. After a sensitivity pass on two
// layers of the demo's ResNet-20, "Latency" asks to time the layers alone in this browser
// (onnxruntime-web in the sensitivity worker; progress, Cancel), then a slider spends
// milliseconds and the solver says the predicted time. The timing is kept: after a reload the
// slider is there without timing again, until Clear measurements.
import { expect, type Page, test } from '@playwright/test';
import { freshPage, openDemo } from './open.ts';

const conv1 = '/layer1/layer1.0/conv1/Conv';
const conv2 = '/layer1/layer1.0/conv2/Conv';

async function measureTwoLayers(page: Page) {
  await openDemo(page);
  await page.getByRole('button', { name: 'Select none' }).click();
  await page.getByRole('checkbox', { name: `Compress ${conv1}` }).check();
  await page.getByRole('checkbox', { name: `Compress ${conv2}` }).check();
  await page.getByLabel('Sensitivity images').selectOption('32');
  await page.getByRole('button', { name: 'Measure sensitivity' }).click();
  await expect(page.getByTestId('sensitivity-status')).toContainText(
    'Measured 2 layers x 5 options on 32 images',
    { timeout: 60_000 },
  );
  await page.getByRole('button', { name: 'Latency', exact: true }).click();
}

test('a latency budget: time the layers (cancel, then again), solve on milliseconds, kept after a reload', async ({
  page,
}) => {
  const pageErrors = await freshPage(page, ['qaf-latency']);
  await measureTwoLayers(page);
  const status = page.getByTestId('latency-status');
  await expect(status).toContainText('A latency budget needs each layer timed alone');
  const slider = page.getByRole('slider', { name: 'Budget (latency ms)' });
  await expect(slider).toHaveCount(0);

  await page.getByRole('button', { name: 'Measure latency' }).click();
  await page.getByRole('button', { name: 'Cancel timing' }).click();
  await expect(status).toContainText('Cancelled');

  await page.getByRole('button', { name: 'Measure latency' }).click();
  await expect(status).toContainText('Timed: 2 layers timed alone in onnxruntime-web', {
    timeout: 120_000,
  });
  await expect(status).toContainText(/the original model takes \d+\.\d\d ms a call/);
  await slider.focus();
  await page.keyboard.press('End');
  await expect(page.getByTestId('budget-solved')).toContainText(/predicted \d+\.\d\d ms a call/);
  await expect(page.getByTestId('budget-value')).toContainText(/\d+\.\d\d ms/);
  await page.keyboard.press('Home');
  await expect(page.getByTestId('budget-solved')).toContainText('(optimal)');
  await expect(page.getByTestId('override-count')).toContainText(/set apart/);

  // Kept per model: a reload shows the slider at once.
  await page.reload();
  await measureTwoLayers(page);
  await expect(status).toContainText('kept from an earlier measurement');
  await expect(slider).toBeVisible();

  // Clear measurements drops the timing too.
  await page.getByRole('button', { name: 'Clear measurements' }).click();
  await expect(status).toContainText('A latency budget needs each layer timed alone');
  await expect(slider).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});
