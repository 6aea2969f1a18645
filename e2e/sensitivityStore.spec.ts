// Issue #15: the measurements the page keeps in IndexedDB are bounded (least recently used out
// first) and the user can clear them. Two small layers of the demo's ResNet-20 on 32 images:
// 10 measurements; with the bound set to about 6 of them (?sensitivityCacheBytes) only the last
// 6 stay (a reload reuses some of them), and Clear empties the store so the next pass measures everything again.
import { expect, type Page, test } from '@playwright/test';
import { openDemo } from './open.ts';

const conv1 = '/layer1/layer1.0/conv1/Conv';
const conv2 = '/layer1/layer1.0/conv2/Conv';

async function openDemoWithTwoLayers(page: Page) {
  await openDemo(page);
  await page.getByRole('button', { name: 'Select none' }).click();
  await page.getByRole('checkbox', { name: `Compress ${conv1}` }).check();
  await page.getByRole('checkbox', { name: `Compress ${conv2}` }).check();
  await page.getByLabel('Sensitivity images').selectOption('32');
}

async function measure(page: Page, counts: string) {
  await page.getByRole('button', { name: 'Measure sensitivity' }).click();
  const status = page.getByTestId('sensitivity-status');
  await expect(status).toContainText('Measured 2 layers x 5 options on 32 images', {
    timeout: 60_000,
  });
  await expect(status).toContainText(counts);
}

test('kept measurements are bounded, least recently used out first, and Clear empties them', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto('/?testHooks');
  await page.evaluate(() => {
    localStorage.clear();
    indexedDB.deleteDatabase('qaf-sensitivity');
  });
  // One record is about 560 bytes of JSON: room for 6 of the 10.
  await page.goto('/?testHooks&sensitivityCacheBytes=3500');
  await openDemoWithTwoLayers(page);
  const stored = page.getByTestId('sensitivity-stored');
  await expect(stored).toContainText('0 measurements kept in this browser');
  await measure(page, '10 measured, 0 reused');
  await expect(stored).toContainText(/[1-9] measurements kept in this browser/);
  const kept = Number((await stored.textContent())?.match(/(\d+) measurements kept/)?.[1]);
  expect(kept).toBeLessThan(10);

  // After a reload, kept ones are reused and dropped ones measured again. (Not all kept ones:
  // conv1's new measurements push out conv2's before conv2 is asked for them.)
  await page.reload();
  await openDemoWithTwoLayers(page);
  await measure(page, 'reused');
  const counts = (await page.getByTestId('sensitivity-status').textContent())?.match(
    /(\d+) measured, (\d+) reused/,
  );
  const [measured, reused] = [Number(counts?.[1]), Number(counts?.[2])];
  expect(measured + reused).toBe(10);
  expect(reused).toBeGreaterThan(0);
  expect(measured).toBeGreaterThanOrEqual(10 - kept);

  await page.getByRole('button', { name: 'Clear measurements' }).click();
  await expect(stored).toContainText('0 measurements kept in this browser');
  await expect(page.getByRole('button', { name: 'Clear measurements' })).toBeDisabled();
  await measure(page, '10 measured, 0 reused');
  expect(pageErrors).toEqual([]);
});
