// Workers that die with no error event (killed for memory, say): the page must notice through
// each worker's Web Lock lifeline within about two seconds, not after the 60 s stall watchdog,
// even while the worker is busy in a synchronous WASM loop. `__qafKillWorkers` (?testHooks)
// terminates the raw workers of one kind behind their clients' backs. Uses the bundled demo.
import { expect, type Page, test } from '@playwright/test';

// Far above the assertion timeouts below, so only the lifeline can fail the run in time.
const STALL_MS = 600_000;
const NOTICE_MS = 5_000;

test.beforeEach(async ({ page }) => {
  await page.goto(`/?testHooks&stallMs=${STALL_MS}`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 30_000,
  });
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images', {
    timeout: 30_000,
  });
  await page.getByRole('button', { name: '200', exact: true }).click();
});

/**
 * Starts a run and, from inside the page (no round trip to miss the moment), kills the workers
 * of `label` as soon as `when` holds of the run panel; resolves with how many were killed.
 */
async function runAndKill(
  page: Page,
  label: string,
  when: 'a layer is being factorized' | 'the evaluation worker is busy',
): Promise<number> {
  const killed = page.evaluate(
    ([label, when]) =>
      new Promise<number>((resolve) => {
        const busy = () => {
          const phase = document.querySelector('[data-testid="run-status"]')?.textContent ?? '';
          if (when === 'a layer is being factorized')
            return (
              phase === 'Factorizing layers' &&
              document.querySelector(
                '.layer-progress li.layer-init, .layer-progress li.layer-running',
              ) !== null
            );
          return ['Writing the compressed model', 'Calibrating', 'Evaluating'].includes(phase);
        };
        const look = () => {
          if (!busy()) return void setTimeout(look, 5);
          const hooks = globalThis as unknown as { __qafKillWorkers(label: string): number };
          resolve(hooks.__qafKillWorkers(label));
        };
        look();
      }),
    [label, when] as const,
  );
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  return killed;
}

test('a compression worker killed silently mid-layer fails the run at once; the next run works', async ({
  page,
}) => {
  expect(await runAndKill(page, 'compression', 'a layer is being factorized')).toBeGreaterThan(0);
  await expect(page.getByTestId('run-status')).toHaveText('Failed', { timeout: NOTICE_MS });
  const message = page.getByTestId('run-panel-message');
  await expect(message).toContainText('the compression worker stopped while compressing');
  await expect(message).toContainText('ended unexpectedly');
  await expect(message).toContainText('Run again');

  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('Done', { timeout: 150_000 });
  await expect(page.getByTestId('result-row')).toHaveCount(1);
});

test('an evaluation worker killed silently mid-run fails the run with a message and reloads the data', async ({
  page,
}) => {
  expect(await runAndKill(page, 'evaluation', 'the evaluation worker is busy')).toBe(1);
  await expect(page.getByTestId('run-status')).toHaveText('Failed', { timeout: NOTICE_MS });
  await expect(page.getByTestId('run-panel-message')).toContainText(
    'The evaluation worker stopped (it ended unexpectedly',
  );
  // The datasets died with the worker; the kept files go to a fresh one.
  await expect(page.getByTestId('dataset-evaluation-summary')).toContainText('1,000 images', {
    timeout: 30_000,
  });
});

test('a model worker killed silently while idle: the page says so instead of failing later', async ({
  page,
}) => {
  expect(
    await page.evaluate(() =>
      (globalThis as unknown as { __qafKillWorkers(label: string): number }).__qafKillWorkers(
        'model',
      ),
    ),
  ).toBe(1);
  await expect(page.getByText('The model worker stopped (it ended unexpectedly')).toBeVisible({
    timeout: NOTICE_MS,
  });
});
