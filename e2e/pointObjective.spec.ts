// Issue #16: a chart point says which objective QAF solved for (the paper's weight error, or the
// data-aware one on calibration images), on its hover card and as a data attribute; a click loads
// that objective, so the point's download is solved the same way. The demo's points measured in
// advance are data-aware on 512 calibration images (public/demo/sweep.json).
import { expect, test } from '@playwright/test';

test.use({ viewport: { width: 1280, height: 720 } });

test("a QAF point carries its objective on the card; a click loads it; PTQ's has none", async ({
  page,
}) => {
  await page.goto('/?testHooks');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('charts-precomputed')).toContainText('measured in advance', {
    timeout: 30_000,
  });
  // Start on the paper's objective, so the click is what sets data-aware.
  await page.getByRole('button', { name: 'Paper (weight error)' }).click();
  await page.getByRole('heading', { name: 'Trade-offs' }).scrollIntoViewIfNeeded();
  const compute = page.locator('figure[data-chart="compute"]');
  const qaf = compute.locator(
    '[data-point][data-method="admm"][data-rate="2"][data-bits="4"][data-calibrated="true"]',
  );
  await expect(qaf).toHaveCount(1);
  await expect(qaf).toHaveAttribute('data-objective', 'data');
  await qaf.hover();
  await expect(page.getByTestId('point-card')).toContainText(
    "Objective: data-aware (solved for the layers' inputs on 512 calibration images)",
  );
  await qaf.click();
  await expect(page.getByRole('button', { name: 'Paper (weight error)' })).toHaveAttribute(
    'aria-pressed',
    'false',
  );

  const ptq = compute.locator('[data-point][data-method="ptq"][data-bits="4"]').first();
  await expect(ptq).not.toHaveAttribute('data-objective', /./);
  await ptq.hover();
  await expect(page.getByTestId('point-card')).not.toContainText('Objective');
});
