// Issue #16 item 9 on the built-in demo: a completed run's compressed model is kept in IndexedDB
// (so "Download model" after a reload is instant, without rebuilding), "stored: N" with a clear
// button, a quota error said while the run's numbers stay, and each model's own run history.
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { readModel } from '../src/core/onnx/reader.ts';

async function openDemo(page: Page) {
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 60_000,
  });
}

/** PTQ (no factorization) on 200 images: a run of a few seconds. */
async function quickRun(page: Page) {
  await page.getByLabel('Method', { exact: true }).selectOption('ptq-tensor');
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  // While it runs: the time left (measured once there is something to measure).
  await expect(page.getByTestId('run-eta')).toHaveText(/measuring the time left|left$/);
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 60_000 });
}

test('reload -> "Download model" is instant (stored model, no factorization); plain words, no counters', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/');
  // Start without stored models from an earlier test.
  await page.evaluate(() => indexedDB.deleteDatabase('qaf-workbench-models'));
  await openDemo(page);
  // Plain words first, the technical term in the tooltip; no internal counters.
  const preview = page.getByTestId('cost-preview');
  await expect(preview.getByText('Compute (BOPs)')).toHaveAttribute('title', /Bit operations/);
  await expect(preview.getByText('Multiply-adds')).toHaveAttribute('title', /MACs/);
  await quickRun(page);
  await expect(page.getByTestId('run-panel')).not.toContainText('progress events');
  await expect(page.getByTestId('run-detail')).toHaveText('evaluated');
  const table = page.getByTestId('results-table');
  for (const [label, term] of [
    ['Accuracy', /Top-1/],
    ['Compute (BOPs)', /BOPs/],
    ['Model size', /\.onnx/],
  ] as const) {
    await expect(table.getByRole('columnheader', { name: label, exact: true })).toHaveAttribute(
      'title',
      term,
    );
  }
  const stored = page.getByTestId('stored-models');
  await expect(stored).toContainText(/stored: [\d.]+ KB \(1 model\)/);

  // After a reload, without even opening the model again.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Try the demo' })).toBeVisible();
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  await expect(stored).toContainText('(1 model)');
  const download = page.waitForEvent('download');
  await page.getByTestId('result-row').getByRole('button', { name: 'Download model' }).click();
  const file = await download;
  // Nothing was rebuilt: no run panel, no layer progress.
  await expect(page.getByTestId('run-panel')).toHaveCount(0);
  expect(file.suggestedFilename()).toMatch(/^resnet20_.*_w4.*\.onnx$/);
  const bytes = readFileSync(await file.path());
  expect(bytes.length).toBeLessThan(readFileSync('public/demo/resnet20_cifar10.onnx').length / 2);
  expect(readModel(new Uint8Array(bytes)).graph.node?.length ?? 0).toBeGreaterThan(10);

  // Clear: nothing stored; the result row stays.
  await page.getByTestId('clear-stored-models').click();
  await expect(stored).toContainText('stored: 0 B (0 models)');
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  expect(pageErrors).toEqual([]);
});

test('IndexedDB full: the quota error is shown and the run’s numbers are kept', async ({
  page,
}) => {
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args) {
      if (this.name === 'models')
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args as Parameters<typeof put>);
    };
  });
  await openDemo(page);
  await quickRun(page);
  await expect(page.getByTestId('stored-models-error')).toContainText('Browser storage is full');
  const row = page.getByTestId('result-row');
  await expect(row).toHaveCount(1);
  expect(
    Number.parseFloat((await row.getByTestId('result-accuracy').textContent()) ?? ''),
  ).toBeGreaterThan(50);
  await page.reload();
  await expect(page.getByTestId('result-row')).toHaveCount(1);
});

test('opening another model puts the runs away; opening the first again (same hash) brings them back', async ({
  page,
}) => {
  await openDemo(page);
  await quickRun(page);
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  await expect(page.getByTestId('predictions-panel')).toBeVisible();
  const demo = readFileSync('public/demo/resnet20_cifar10.onnx');
  // Another model: the same graph with a doc string appended (ModelProto field 6), another hash.
  const note = Buffer.from('another model');
  const other = Buffer.concat([demo, Buffer.from([0x32, note.length]), note]);
  const open = async (name: string, buffer: Buffer) => {
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Open model' }).first().click();
    await (await chooser).setFiles({ name, mimeType: 'application/octet-stream', buffer });
    await expect(page.getByRole('heading', { name })).toBeVisible({ timeout: 30_000 });
  };
  await open('other.onnx', other);
  await expect(page.getByTestId('result-row')).toHaveCount(0);
  await expect(page.getByTestId('run-panel')).toHaveCount(0);
  await expect(page.getByTestId('predictions-panel')).toHaveCount(0);
  await expect(page.getByTestId('other-model-runs')).toContainText('resnet20_cifar10.onnx (1 run)');
  // The same bytes under another name are the same model: its runs come back.
  await open('resnet20_copy.onnx', demo);
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  await expect(page.getByTestId('other-model-runs')).toHaveCount(0);
});
