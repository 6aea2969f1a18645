// Issue #16 item 8, "never freeze": the longest main-thread task (PerformanceObserver
// `longtask`, tasks over 50 ms) while the demo opens, during a 200-image run and during a small
// sweep. The test prints the figures (the README quotes them) and attaches them to the report;
// like every test here it asserts behaviour, not time: each phase finishes and the observer saw
// the page (a wall-clock bound would fail on a loaded CI machine for reasons not in the code).
import { expect, type Page, test } from '@playwright/test';

interface LongTask {
  start: number;
  duration: number;
}

declare global {
  interface Window {
    __longTasks?: LongTask[];
  }
}

async function observeLongTasks(page: Page) {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__longTasks?.push({ start: e.startTime, duration: e.duration });
      }
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** The longest task (ms, 0 when none over 50 ms) and the count since `from` (page time). */
async function longestSince(page: Page, from: number) {
  const tasks = await page.evaluate(() => window.__longTasks ?? []);
  const during = tasks.filter((t) => t.start + t.duration >= from);
  return {
    longestMs: Math.round(Math.max(0, ...during.map((t) => t.duration))),
    count: during.length,
  };
}

const now = (page: Page) => page.evaluate(() => performance.now());

test('the longest main-thread task while the demo opens, during a run and during a small sweep is printed', async ({
  page,
}) => {
  await observeLongTasks(page);
  await page.goto('/');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await expect(page.getByRole('button', { name: 'Try the demo' })).toBeVisible();
  expect(await page.evaluate(() => Array.isArray(window.__longTasks))).toBe(true);
  const figures: Record<string, { longestMs: number; count: number }> = {};

  let from = await now(page);
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images', {
    timeout: 60_000,
  });
  await expect(page.getByTestId('charts-precomputed')).toContainText('measured in advance');
  await page.waitForTimeout(500);
  figures['demo open'] = await longestSince(page, from);

  from = await now(page);
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 150_000 });
  figures['200-image run'] = await longestSince(page, from);

  from = await now(page);
  const grid = page.getByTestId('sweep-grid');
  for (const name of ['QAF (ADMM)', 'FTQ']) {
    await grid.getByRole('group', { name: 'Sweep methods' }).getByLabel(name).uncheck();
  }
  await grid.getByRole('group', { name: 'Weight bits' }).getByLabel('4').uncheck();
  await expect(page.getByTestId('sweep-estimate')).toContainText('3 points');
  await page.getByRole('button', { name: 'Run baseline sweep' }).click();
  await expect(page.getByTestId('sweep-progress')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run baseline sweep' })).toBeVisible({
    timeout: 150_000,
  });
  figures['3-point sweep'] = await longestSince(page, from);

  const line = Object.entries(figures)
    .map(([phase, f]) => `${phase} ${f.longestMs} ms (${f.count} over 50 ms)`)
    .join(', ');
  console.log(`longest main-thread task: ${line}`);
  test.info().annotations.push({ type: 'long tasks', description: line });
});
