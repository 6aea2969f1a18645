// How a spec starts: a fresh page (no settings, chosen IndexedDB stores dropped) whose page errors
// are collected, then the demo or a model file opened. One place, so every spec starts the same.
import { expect, type Page } from '@playwright/test';
import { choose } from './arrayFixtures.ts';

/**
 * Opens the app with nothing kept from earlier tests (localStorage cleared, `databases` deleted)
 * and returns the list its page errors go to (a spec ends by expecting it empty).
 */
export async function freshPage(page: Page, databases: readonly string[] = []): Promise<string[]> {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto('/?testHooks');
  await page.evaluate((names) => {
    localStorage.clear();
    for (const name of names) indexedDB.deleteDatabase(name);
  }, databases);
  await page.reload();
  return pageErrors;
}

/** "Try the demo", until its model and calibration set are loaded. */
export async function openDemo(page: Page, timeout = 30_000): Promise<void> {
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByRole('heading', { name: 'resnet20_cifar10.onnx' })).toBeVisible({
    timeout,
  });
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images', {
    timeout,
  });
}

/** Opens `name` through "Open model", until its heading shows. */
export async function openModelFile(page: Page, name: string, bytes: Buffer): Promise<void> {
  await choose(page, 'Open model', name, bytes);
  await expect(page.getByRole('heading', { name })).toBeVisible({ timeout: 20_000 });
}
