import { expect, type Page, test } from '@playwright/test';
import { hasShared, sharedPath, sharedSkipReason } from './shared.ts';

const resnet20 = sharedPath('models/resnet20_cifar10.onnx');

/** Opens a file the way a user does: the "Open model" button, then the browser's file chooser. */
async function chooseFile(
  page: Page,
  file: string | { name: string; mimeType: string; buffer: Buffer },
) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open model' }).first().click();
  await (await chooser).setFiles(file);
}

/** Bytes that are not an ONNX model, the same on every run. */
function junkBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 12345;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

test('the page is cross-origin isolated and shows the first screen', async ({ page }) => {
  await page.goto('/');
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  await expect(page.getByRole('heading', { name: 'QAF Workbench' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Open a model to begin' })).toBeVisible();
});

test.describe('opening a real model', () => {
  test.skip(!hasShared, sharedSkipReason);

  test('ResNet-20: summary, 20 layers, totals; a corrupt file leaves it loaded; nothing leaves the origin', async ({
    page,
    baseURL,
  }) => {
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const ortWasm = page.waitForResponse((r) =>
      r.url().endsWith('/ort/ort-wasm-simd-threaded.wasm'),
    );

    await page.goto('/');
    await chooseFile(page, resnet20);

    await expect(page.getByRole('heading', { name: 'resnet20_cifar10.onnx' })).toBeVisible();
    const rows = page.locator('table.layer-table tbody tr');
    await expect(rows).toHaveCount(20);
    await expect(page.getByText('269,034', { exact: true })).toBeVisible();
    await expect(page.getByText('40,551,040 MACs')).toBeVisible();
    await expect(page.getByText('40.55 M', { exact: true }).first()).toBeVisible();

    // The model worker creates an onnxruntime-web session: its wasm must come from /ort/, as wasm.
    await expect(page.getByTestId('runtime-status')).toContainText('Session ready', {
      timeout: 120_000,
    });
    const wasm = await ortWasm;
    expect(wasm.status()).toBe(200);
    expect(wasm.headers()['content-type']).toContain('application/wasm');

    await chooseFile(page, {
      name: 'bad.onnx',
      mimeType: 'application/octet-stream',
      buffer: junkBytes(4096),
    });
    await expect(page.getByRole('alert')).toContainText('bad.onnx');
    await expect(page.getByRole('heading', { name: 'resnet20_cifar10.onnx' })).toBeVisible();
    await expect(rows).toHaveCount(20);
    await expect(page.getByText('269,034', { exact: true })).toBeVisible();

    const origin = new URL(baseURL ?? 'http://localhost:4173').origin;
    const foreign = requests.filter(
      (url) => !/^(data|blob):/.test(url) && new URL(url).origin !== origin,
    );
    expect(foreign).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });

  test('the layer table sorts by a column and back', async ({ page }) => {
    await page.goto('/');
    await chooseFile(page, resnet20);
    const macsHeader = page.getByRole('columnheader', { name: 'MACs', exact: true });
    await macsHeader.getByRole('button').click();
    await expect(macsHeader).toHaveAttribute('aria-sort', 'descending');
    const macsCells = page.locator('table.layer-table tbody tr td:nth-child(6)');
    const first = await macsCells.first().getAttribute('title');
    const last = await macsCells.last().getAttribute('title');
    const toNumber = (text: string | null) => Number((text ?? '').replaceAll(',', ''));
    expect(toNumber(first)).toBeGreaterThan(toNumber(last));

    await macsHeader.getByRole('button').click();
    await expect(macsHeader).toHaveAttribute('aria-sort', 'ascending');
    expect(toNumber(await macsCells.first().getAttribute('title'))).toBeLessThanOrEqual(
      toNumber(await macsCells.last().getAttribute('title')),
    );
  });
});
