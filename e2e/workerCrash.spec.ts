import { expect, test } from '@playwright/test';

test('a model worker that cannot start gives an error, and the next open starts a fresh one', async ({
  page,
}) => {
  await page.route(/model\.worker[^/]*\.js/, (route) => route.fulfill({ status: 404, body: '' }));
  await page.goto('/');
  const junk = {
    name: 'junk.onnx',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('not a model'),
  };

  let chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open model' }).first().click();
  await (await chooser).setFiles(junk);
  await expect(page.getByRole('alert')).toContainText('The model worker stopped');
  await expect(page.getByRole('progressbar')).toHaveCount(0);

  await page.unroute(/model\.worker[^/]*\.js/);
  chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open model' }).first().click();
  await (await chooser).setFiles(junk);
  // The fresh worker is running: it parses the file and rejects it as not ONNX.
  await expect(page.getByRole('alert')).toContainText('Could not open junk.onnx');
});
