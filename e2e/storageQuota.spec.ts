// A full localStorage must not wedge the app: a settings change over a full quota shows one
// notice (not an uncaught QuotaExceededError), and "Clear stored results" dismisses it.
import { expect, test } from '@playwright/test';

test('over a full localStorage, settings changes keep working and one notice says so', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto('/');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByLabel('Method', { exact: true })).toHaveValue('admm', { timeout: 30_000 });
  // The demo's precomputed sweep rows are in the store (and in storage) once the charts say so.
  await expect(page.getByTestId('charts-precomputed')).toContainText('measured in advance', {
    timeout: 30_000,
  });

  // Fill the origin's quota with another key, as a long-lived browser profile might.
  const filled = await page.evaluate(() => {
    let chunk = 'x'.repeat(1 << 20);
    let i = 0;
    while (chunk.length > 0) {
      try {
        localStorage.setItem(`filler-${i++}`, chunk);
      } catch (err) {
        if ((err as Error).name !== 'QuotaExceededError') throw err;
        chunk = chunk.slice(0, Math.floor(chunk.length / 2));
      }
    }
    // The halving leaves up to a key's length free (a new key costs its name too): grow one
    // short key a character at a time until nothing fits, so any longer setting must fail.
    let tail = '';
    for (;;) {
      try {
        localStorage.setItem('f', `${tail}x`);
        tail += 'x';
      } catch (err) {
        if ((err as Error).name !== 'QuotaExceededError') throw err;
        break;
      }
    }
    return i;
  });
  expect(filled).toBeGreaterThan(1);

  // A change that makes the stored settings longer ('admm' -> 'ptq-channel') hits the quota.
  const notice = page.getByTestId('storage-notice');
  await expect(notice).toHaveCount(0);
  await page.getByLabel('Method', { exact: true }).selectOption('ptq-channel');
  await expect(page.getByLabel('Method', { exact: true })).toHaveValue('ptq-channel');
  await expect(notice).toContainText('Browser storage is full');
  await expect(notice).toContainText('the oldest results were not saved');
  // Later changes stay quiet: one notice, not one per change.
  await page.getByLabel('Method', { exact: true }).selectOption('cp');
  await page.getByLabel('Method', { exact: true }).selectOption('ptq-tensor');
  await expect(page.getByLabel('Method', { exact: true })).toHaveValue('ptq-tensor');
  await expect(notice).toHaveCount(1);
  await notice.getByRole('button', { name: 'Clear stored results' }).click();
  await expect(notice).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});
