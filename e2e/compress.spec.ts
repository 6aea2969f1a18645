// Compress, evaluate, download and cancel on the real ResNet-20, through the UI as a user does.
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { compressLayer } from '../src/core/factor/compressLayer.ts';
import { modelLayerJobs } from '../src/core/factor/modelJobs.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { readModel } from '../src/core/onnx/reader.ts';
import { DataType } from '../src/core/onnx/types.ts';
import { hasShared, sharedPath, sharedSkipReason } from './shared.ts';

const resnet20 = sharedPath('models/resnet20_cifar10.onnx');
const testBatch = sharedPath('data/cifar10_test_batch.bin');

async function choose(page: Page, button: string, file: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: button }).first().click();
  await (await chooser).setFiles(file);
}

/** Every request the page makes must stay on the app's own origin. */
function watchRequests(page: Page, baseURL: string | undefined): string[] {
  const foreign: string[] = [];
  const origin = new URL(baseURL ?? 'http://localhost:4173').origin;
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:'))
      foreign.push(url);
  });
  return foreign;
}

async function openResnet20(page: Page): Promise<void> {
  await choose(page, 'Open model', resnet20);
  await expect(page.getByRole('heading', { name: 'resnet20_cifar10.onnx' })).toBeVisible();
}

test.describe('compress and evaluate ResNet-20', () => {
  test.skip(!hasShared, sharedSkipReason);
  // Starts from a clean slate: settings and results persist in localStorage otherwise.
  test.beforeEach(async ({ page }) => {
    await page.goto('/?testHooks');
    await page.evaluate(() => localStorage.clear());
    await page.reload();
  });

  test('QAF rate 2, 4 bits on 200 images: progress, result row, download a smaller valid ONNX; codes match Node', async ({
    page,
    baseURL,
  }) => {
    const foreign = watchRequests(page, baseURL);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await openResnet20(page);
    await expect(page.getByTestId('kernels-name')).toHaveText('kernels: wasm-relaxed-simd', {
      timeout: 30_000,
    });
    await choose(page, 'Load evaluation data', testBatch);
    await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('10,000 images', {
      timeout: 60_000,
    });
    await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('10 classes');
    await page.getByRole('button', { name: '200', exact: true }).click();
    await expect(page.getByRole('slider', { name: 'Rate' })).toHaveValue('2');
    await expect(page.getByRole('slider', { name: 'Weight bits' })).toHaveValue('4');
    // The paper's objective, so the codes can be checked against Node's below (the data-aware
    // default is checked by demo.spec.ts and calibrationFromEvaluation.spec.ts).
    await page.getByRole('button', { name: 'Paper (weight error)' }).click();

    await page.getByRole('button', { name: 'Compress & evaluate' }).click();
    await expect(page.getByTestId('layer-progress').locator('li')).toHaveCount(18, {
      timeout: 30_000,
    });
    await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 150_000 });
    // The run ends at 100 % saying what it did (no internal counters on screen).
    await expect(page.getByRole('progressbar', { name: 'Run progress' })).toHaveAttribute(
      'aria-valuenow',
      '100',
    );
    await expect(page.getByTestId('run-detail')).toHaveText('evaluated');
    await expect(page.getByTestId('run-panel')).not.toContainText('progress events');
    // The pool compressed every layer in the browser's workers.
    await expect(page.getByTestId('layer-progress').locator('li.layer-done')).toHaveCount(18);

    const row = page.getByTestId('result-row');
    await expect(row).toHaveCount(1);
    const accuracy = Number.parseFloat(
      (await row.getByTestId('result-accuracy').textContent()) ?? '',
    );
    expect(accuracy).toBeGreaterThan(50);
    expect(accuracy).toBeLessThanOrEqual(100);
    await expect(row.getByTestId('result-bop')).toContainText('%');

    const download = page.waitForEvent('download');
    await row.getByRole('button', { name: 'Download model' }).click();
    const file = await download;
    // No calibration set: 256 other images of the test batch calibrated the model.
    await expect(page.getByTestId('run-calibration')).toHaveText(
      'calibrated on 256 of your images, none of them among the 200 evaluated',
    );
    expect(file.suggestedFilename()).toBe('resnet20_qaf-admm_r2_w4_cal.onnx');
    const bytes = readFileSync(await file.path());
    const original = readFileSync(resnet20);
    expect(bytes.length).toBeLessThan(original.length / 2);
    const model = readModel(new Uint8Array(bytes));
    const int4 = (model.graph.initializer ?? []).filter((t) => t.dataType === DataType.INT4);
    expect(int4.length).toBeGreaterThanOrEqual(18 * 3);

    // Determinism: the browser's codes for one layer equal a Node compression of it.
    const browser = await page.evaluate(
      () =>
        (globalThis as { __qafLayerCodes?: { name: string; codes: number[][] }[] }).__qafLayerCodes,
    );
    const layer = '/layer2/layer2.0/conv1/Conv';
    const [job] = modelLayerJobs(
      readModel(new Uint8Array(original)),
      { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0, perChannel: false },
      { layers: new RegExp(`^${layer.replace(/[./]/g, '\\$&')}$`) },
    );
    const node = compressLayer(await loadKernels(), job);
    const fromBrowser = browser?.find((l) => l.name === layer);
    expect(fromBrowser?.codes).toEqual(node.factors.map((f) => Array.from(f.codes ?? [])));

    expect(pageErrors).toEqual([]);
    expect(foreign).toEqual([]);
  });

  test('Cancel stops a compression within seconds; the next run succeeds', async ({
    page,
    baseURL,
  }) => {
    const foreign = watchRequests(page, baseURL);
    await openResnet20(page);
    // The what-if costs follow the sliders at once (cost model on the page).
    const bop = page.getByTestId('preview-bop');
    const before = await bop.textContent();
    await page.getByRole('slider', { name: 'Weight bits' }).fill('2');
    await expect(bop).not.toHaveText(before ?? '');
    await page.getByRole('slider', { name: 'Weight bits' }).fill('4');
    await expect(bop).toHaveText(before ?? '');
    await page.getByLabel('Method').selectOption('admm');
    await page.getByRole('button', { name: 'Published', exact: true }).click();
    await page.getByRole('button', { name: 'Compress', exact: true }).click();
    await expect(page.getByTestId('layer-progress')).toBeVisible({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByTestId('run-status')).toHaveText('cancelled', { timeout: 3_000 });
    await expect(page.getByTestId('result-row')).toHaveCount(0);

    await page.getByRole('button', { name: 'Default (fast)' }).click();
    await page.getByRole('button', { name: 'Compress', exact: true }).click();
    await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 120_000 });
    await expect(page.getByTestId('result-row')).toHaveCount(1);
    await expect(page.getByTestId('result-accuracy')).toHaveText('—');

    // Results persist across a reload; the model bytes are rebuilt for a download.
    await page.reload();
    await expect(page.getByTestId('result-row')).toHaveCount(1);
    await openResnet20(page);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download model' }).click();
    expect((await download).suggestedFilename()).toBe('resnet20_qaf-admm_r2_w4.onnx');
    expect(foreign).toEqual([]);
  });

  test('the baseline sweep streams points to the charts, cancels at once, and a run works after it', async ({
    page,
    baseURL,
  }) => {
    const foreign = watchRequests(page, baseURL);
    await openResnet20(page);
    await choose(page, 'Load evaluation data', testBatch);
    await expect(page.getByTestId('dataset-evaluation-summary')).toBeVisible({ timeout: 60_000 });
    await page.getByRole('button', { name: '200', exact: true }).click();
    await page.getByRole('button', { name: 'Run baseline sweep' }).click();
    const controls = page.getByTestId('sweep-controls');
    // Points stream onto the charts as they are measured, with the float reference line.
    await expect(page.locator('[data-point][data-method="admm"]').first()).toBeVisible({
      timeout: 180_000,
    });
    await expect(page.getByTestId('float-line').first()).toBeVisible();
    await page.getByRole('button', { name: 'Cancel sweep' }).click();
    await expect(controls).toContainText('sweep cancelled', { timeout: 3_000 });

    // The next run starts at once; the worker drops the sweep at its next check.
    await page.getByRole('button', { name: 'Compress & evaluate' }).click();
    await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 150_000 });
    await expect(page.getByTestId('result-accuracy')).toContainText('%');
    expect(foreign).toEqual([]);
  });
});
