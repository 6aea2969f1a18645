// Issue #14 item 4 in the app: the compression panel offers how the written file holds its
// weights ("Dequantize at run" default, "At load", "Float") and the latency guard, each with what
// it trades; the choice reaches the downloaded file (its nodes and initializers are read here) and
// the run panel says what it did. A 16-band feature net checked on its arrays; needs no ../shared.
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { readModel } from '../src/core/onnx/reader.ts';
import { DataType, type OnnxModel } from '../src/core/onnx/types.ts';
import { choose, featureModel, npy } from './arrayFixtures.ts';

async function compressAndDownload(page: Page, runs: number): Promise<OnnxModel> {
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('result-row')).toHaveCount(runs, { timeout: 60_000 });
  await expect(page.getByTestId('run-status')).toHaveText('Done');
  const download = page.waitForEvent('download');
  await page
    .getByTestId('result-row')
    .last()
    .getByRole('button', { name: 'Download model' })
    .click();
  return readModel(new Uint8Array(readFileSync(await (await download).path())));
}

const ops = (m: OnnxModel) => (m.graph.node ?? []).map((n) => n.opType);
const integerInits = (m: OnnxModel) =>
  (m.graph.initializer ?? []).filter(
    (t) => t.dataType === DataType.INT8 || t.dataType === DataType.INT4,
  ).length;

test('the weight form and the latency guard reach the written file', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await choose(page, 'Open model', 'feature_net.onnx', featureModel(16, 16));
  await expect(page.getByRole('heading', { name: 'feature_net.onnx' })).toBeVisible({
    timeout: 20_000,
  });
  await choose(page, 'Load input arrays', 'features.npy', npy([32, 16, 16, 16], 4));
  await expect(page.getByTestId('dataset-arrays-summary')).toContainText('32 samples');

  // The default: DequantizeLinear nodes at every run, the smallest file.
  const form = page.getByRole('group', { name: 'Weights in the file' });
  await expect(form.getByRole('button', { name: 'Dequantize at run' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(page.getByTestId('weight-form-trade')).toContainText('Smallest file');
  const plain = await compressAndDownload(page, 1);
  expect(ops(plain)).toContain('DequantizeLinear');
  expect(integerInits(plain)).toBeGreaterThan(0);

  // At load, with the guard: Cast + Mul that onnxruntime folds; the codes stay in the file.
  await form.getByRole('button', { name: 'At load' }).click();
  await expect(page.getByTestId('weight-form-trade')).toContainText('Same file size');
  await page.getByRole('checkbox', { name: 'Latency guard' }).check();
  const load = await compressAndDownload(page, 2);
  expect(ops(load)).not.toContain('DequantizeLinear');
  expect(ops(load)).toContain('Cast');
  expect(integerInits(load)).toBe(integerInits(plain));
  const notes = page.getByTestId('run-form-note');
  await expect(notes.filter({ hasText: 'weights dequantized once at load' })).toHaveCount(1);
  await expect(notes.filter({ hasText: /^latency guard: / })).toHaveCount(1);

  // Float: float32 weights, no codes left.
  await page.getByRole('checkbox', { name: 'Latency guard' }).uncheck();
  await form.getByRole('button', { name: 'Float' }).click();
  const float = await compressAndDownload(page, 3);
  expect(ops(float)).not.toContain('DequantizeLinear');
  expect(integerInits(float)).toBe(0);
  await expect(notes.filter({ hasText: 'weights written as float32' })).toHaveCount(1);
  expect(pageErrors).toEqual([]);
});
