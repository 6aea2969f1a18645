// The page is served with a strict Content-Security-Policy (deploy/securityHeaders.ts) and works
// under it: the demo runs end to end in the page, its workers and onnxruntime-web's wasm with no
// violation reported. Violations are caught three ways: `securitypolicyviolation` in the page
// (init script) and in every worker (listener added as it starts), and the browser's own console
// lines ("Refused to ...").
import { expect, type Page, test } from '@playwright/test';

const REQUIRED_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Collects violations from the page and its workers into the returned list. `workerCores`
 * makes workers report that many cores, so onnxruntime-web starts its pthread workers even on
 * a 2-core machine (it uses half the cores, at most 4).
 */
function watchViolations(page: Page, workerCores?: number): string[] {
  const found: string[] = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (
      /Content Security Policy|Refused to|securitypolicyviolation|Permissions.Policy/i.test(text)
    ) {
      found.push(text);
    }
  });
  page.on('worker', (worker) => {
    worker
      .evaluate((cores) => {
        self.addEventListener('securitypolicyviolation', (e) => {
          console.error(
            `securitypolicyviolation in worker: ${e.violatedDirective} ${e.blockedURI}`,
          );
        });
        if (cores) {
          const proto = Object.getPrototypeOf(navigator);
          Object.defineProperty(proto, 'hardwareConcurrency', { get: () => cores });
        }
      }, workerCores)
      .catch(() => {}); // a worker that ends before the listener lands
  });
  return found;
}

async function pageViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as { __csp?: string[] }).__csp ?? []);
}

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    const list: string[] = [];
    (window as { __csp?: string[] }).__csp = list;
    document.addEventListener('securitypolicyviolation', (e) => {
      list.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
});

test('every response carries the security headers; an unknown path is 404', async ({ request }) => {
  for (const path of ['/', '/ort/ort-wasm-simd-threaded.wasm', '/wasm/kernels.wasm', '/nope']) {
    const response = await request.get(path);
    const headers = response.headers();
    for (const [name, value] of Object.entries(REQUIRED_HEADERS)) {
      expect(headers[name], `${name} on ${path}`).toBe(value);
    }
    const csp = headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).not.toContain("'unsafe-inline'");
    expect(headers['permissions-policy']).toContain('camera=()');
  }
  for (const path of ['/nope', '/assets/missing.js', '/demo/missing.bin', '/index.htm']) {
    expect((await request.get(path)).status(), path).toBe(404);
  }
  expect((await request.get('/')).status()).toBe(200);
});

// Code run by page.evaluate is exempt from the eval check (DevTools lets it eval), so the canaries
// hand strings to timers and inject an inline <script>: both run later as the page's own code.
test('under the CSP, eval and inline script are refused and reported, in the page and a worker', async ({
  page,
}) => {
  const console = watchViolations(page);
  await page.goto('/');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await page.evaluate(() => {
    const w = window as { setTimeout: (code: string, ms: number) => number };
    w.setTimeout('window.__evalRan = true', 0);
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true';
    document.head.append(script);
  });
  await expect
    .poll(() => pageViolations(page))
    .toEqual(expect.arrayContaining([expect.stringMatching(/^script-src(-elem)? inline/)]));
  await expect.poll(() => pageViolations(page)).toContainEqual(expect.stringMatching(/ eval$/));
  // The browser's own console line is seen too.
  await expect.poll(() => console.join('\n')).toMatch(/Content Security Policy/);
  expect(await page.evaluate(() => 'window.__evalRan' in window || '__inlineRan' in window)).toBe(
    false,
  );

  // Opening the demo starts the model worker: eval is refused there too, and the listener sees it.
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByRole('heading', { name: 'resnet20_cifar10.onnx' })).toBeVisible({
    timeout: 30_000,
  });
  const worker = page.workers()[0];
  await worker.evaluate(() => {
    const g = self as unknown as { setTimeout: (code: string, ms: number) => number };
    g.setTimeout('self.__evalRan = true', 0);
  });
  await expect
    .poll(() => console.join('\n'))
    .toMatch(/securitypolicyviolation in worker: script-src/);
  expect(await worker.evaluate(() => '__evalRan' in self)).toBe(false);
});

test('the demo runs end to end under the CSP with no violation, onnxruntime-web on 2 threads', async ({
  page,
}) => {
  test.slow(); // runtime threads on a shared 2-core machine
  const console = watchViolations(page, 4);
  const workerUrls: string[] = [];
  page.on('worker', (worker) => workerUrls.push(new URL(worker.url()).pathname));
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto('/');
  await page.evaluate(() => localStorage.clear());
  await page.reload();

  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByRole('heading', { name: 'resnet20_cifar10.onnx' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByTestId('dataset-calibration-summary')).toContainText('1,024 images', {
    timeout: 30_000,
  });
  await expect(page.getByText(/Session ready/)).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: '200', exact: true }).click();
  await page.getByRole('button', { name: 'Compress & evaluate' }).click();
  const status = page.getByTestId('run-status');
  await expect(status).toHaveText(/^(Done|Failed)$/, { timeout: 420_000 });
  const why = await page
    .getByTestId('run-panel-message')
    .textContent({ timeout: 1_000 })
    .catch(() => '');
  expect(await status.textContent(), why ?? '').toBe('Done');
  await expect(page.getByTestId('result-row')).toHaveCount(1);
  // The download goes through a blob: URL made by the page (not a navigation CSP governs).
  const download = page.waitForEvent('download');
  await page.getByTestId('result-row').getByRole('button', { name: 'Download model' }).click();
  expect((await download).suggestedFilename()).toMatch(/\.onnx$/);
  // onnxruntime-web's threads are module workers started from the evaluation worker's own
  // same-origin script (no blob: URL), so worker-src 'self' is enough.
  const evalWorkers = workerUrls.filter((url) => /\/assets\/eval\.worker-/.test(url));
  expect(evalWorkers.length, workerUrls.join(', ')).toBeGreaterThanOrEqual(2);
  // Every worker from the app's own files: the bundle, or onnxruntime's thread script in /ort/
  // (onnxruntime-web starts its threads from either, depending on how it was loaded).
  expect(
    workerUrls.every((url) => url.startsWith('/assets/') || url.startsWith('/ort/')),
    workerUrls.join(', '),
  ).toBe(true);

  expect(await pageViolations(page)).toEqual([]);
  expect(console).toEqual([]);
  expect(pageErrors).toEqual([]);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
});
