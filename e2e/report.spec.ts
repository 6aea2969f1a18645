// Issue #16 item 7 on the built-in demo: the one-page HTML report of a configuration, and
// "Copy settings" whose link (or pasted text) restores the configuration.
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';

async function openDemo(page: Page) {
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 60_000,
  });
}

async function clean(page: Page) {
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
}

test('the HTML report downloads and is valid HTML naming the configuration', async ({
  page,
  context,
}) => {
  await clean(page);
  await openDemo(page);
  await page.getByLabel('Method', { exact: true }).selectOption('ptq-tensor');
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 60_000 });
  const row = page.getByTestId('result-row');
  const download = page.waitForEvent('download');
  await row.getByRole('button', { name: 'HTML page' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^resnet20_.*\.report\.html$/);
  const html = readFileSync(await file.path(), 'utf8');
  expect(html.startsWith('<!doctype html>')).toBe(true);
  expect(html).not.toMatch(/<script|<link|src="http/i);

  // Opened as a page of its own: the configuration, the original's row, layers, charts.
  const report = await context.newPage();
  await report.setContent(html);
  await expect(report.locator('h1')).toHaveText(
    /^resnet20_cifar10\.onnx: PTQ.*, 4-bit weights, float activations, (not )?calibrated$/,
  );
  await expect(report.locator('table').first()).toContainText('Original model');
  await expect(report.locator('dd').filter({ hasText: /^[0-9a-f]{64}$/ })).toHaveCount(2);
  await expect(report.locator('figure svg')).toHaveCount(3);
  const accuracy = (await row.getByTestId('result-accuracy').textContent()) ?? '';
  await expect(report.locator('table').first()).toContainText(accuracy);
  await report.close();
});

test('"Copy settings" gives a link that restores them; a bad paste is refused', async ({
  page: first,
  context,
}) => {
  let page = first;
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await clean(page);
  await openDemo(page);
  await page.getByLabel('Method', { exact: true }).selectOption('ptq-tensor');
  await page.getByRole('slider', { name: 'Weight bits' }).fill('3');
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Copy settings' }).click();
  await expect(page.getByTestId('settings-copied')).toContainText('Link copied');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toContain('#qaf=');

  // Opened in a fresh tab with nothing stored: the same configuration.
  await page.evaluate(() => localStorage.clear());
  await page.close();
  const opened = await context.newPage();
  await opened.goto(link);
  await openDemo(opened);
  await expect(opened.getByTestId('settings-link-notice')).toHaveText(
    'Settings loaded from the link.',
  );
  await expect(opened.getByLabel('Method', { exact: true })).toHaveValue('ptq-tensor');
  await expect(opened.getByRole('slider', { name: 'Weight bits' })).toHaveValue('3');
  await expect(opened.getByRole('button', { name: '200', exact: true })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  expect(opened.url()).not.toContain('#qaf=');
  page = opened;

  // Pasted: a bad text is refused in words and changes nothing; the JSON form works.
  await page.getByText('Load settings').click();
  const input = page.getByLabel('Settings to load');
  await input.fill('rate 2 please');
  await page.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByTestId('settings-load-error')).toContainText('not QAF Workbench settings');
  await expect(page.getByRole('slider', { name: 'Weight bits' })).toHaveValue('3');
  const json = JSON.stringify({
    app: 'qaf-workbench',
    version: 1,
    settings: { method: 'admm', rate: 3, bits: 8 },
  });
  await input.fill(json);
  await page.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByTestId('settings-load-error')).toHaveCount(0);
  await expect(page.getByLabel('Method', { exact: true })).toHaveValue('admm');
  await expect(page.getByRole('slider', { name: 'Rate' })).toHaveValue('3');
  await expect(page.getByRole('slider', { name: 'Weight bits' })).toHaveValue('8');
});
