// Issue #16 item 6 on the built-in demo: after a run, a grid of evaluation images with their
// label, the original model's top-1 and the compressed model's, disagreements first; kept across
// a reload.
import { expect, test } from '@playwright/test';

test('predictions panel shows disagreements first', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/?testHooks');
  await page.evaluate(() => {
    localStorage.clear();
    indexedDB.deleteDatabase('qaf-predictions');
  });
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 60_000,
  });
  // PTQ at 2 bits on 200 images: a quick run that changes many answers.
  await page.getByLabel('Method', { exact: true }).selectOption('ptq-tensor');
  await page.getByRole('slider', { name: 'Weight bits' }).fill('2');
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 60_000 });

  const panel = page.getByTestId('predictions-panel');
  await expect(panel).toBeVisible();
  const cards = panel.getByTestId('prediction-card');
  await expect(cards).toHaveCount(48);
  const agree = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-agree')));
  const firstAgreeing = agree.indexOf('true');
  const differing = agree.filter((a) => a === 'false').length;
  expect(differing).toBeGreaterThan(0);
  // Every disagreement comes before every agreement.
  expect(agree.slice(0, differing).every((a) => a === 'false')).toBe(true);
  if (firstAgreeing >= 0) expect(firstAgreeing).toBe(differing);
  // The summary counts the disagreements over all evaluated images.
  const summary = (await page.getByTestId('predictions-summary').textContent()) ?? '';
  const [, over, of] = /^([\d,]+) of ([\d,]+) images get another answer/.exec(summary) ?? [];
  expect(Number(of)).toBe(200);
  expect(Number(over)).toBeGreaterThanOrEqual(differing);
  // A card names the classes in words: label, original, compressed.
  const first = cards.first();
  await expect(first).toContainText('label');
  await expect(first).toContainText('original');
  await expect(first).toContainText('compressed');
  await expect(first.locator('dd').first()).toHaveText(
    /^(airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck)$/,
  );
  // The thumbnail is drawn (not blank).
  const lit = await first.locator('canvas').evaluate((c: HTMLCanvasElement) =>
    c
      .getContext('2d')!
      .getImageData(0, 0, c.width, c.height)
      .data.some((v, i) => i % 4 !== 3 && v > 0),
  );
  expect(lit).toBe(true);

  // Kept across a reload (IndexedDB): the same grid comes back with the model.
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  await expect(panel).toBeVisible({ timeout: 30_000 });
  await expect(cards).toHaveCount(48);
  await expect(page.getByTestId('predictions-summary')).toHaveText(summary);
  expect(pageErrors).toEqual([]);
});
