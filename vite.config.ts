/// <reference types="vitest/config" />
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { securityHeaders } from './deploy/securityHeaders.ts';

// Every response (files, the page, 404s) carries the security headers of deploy/securityHeaders.ts.
// The dev server adds a per-start nonce for what Vite itself inlines (React refresh, dev CSS).
function securityHeadersPlugin(devNonce: string | undefined): Plugin {
  const set =
    (headers: Record<string, string>) => (_req: unknown, res: ServerResponse, next: () => void) => {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      next();
    };
  return {
    name: 'security-headers',
    configureServer(server) {
      server.middlewares.use(set(securityHeaders(devNonce)));
    },
    configurePreviewServer(server) {
      server.middlewares.use(set(securityHeaders()));
    },
  };
}

// Static hosts get the same headers (deploy/_headers, read by Netlify and Cloudflare Pages) and a
// 404 page (without one, Cloudflare Pages answers every unknown path with index.html).
const notFoundHtml = `<!doctype html>
<html lang="en"><head><meta charset="UTF-8" /><title>Not found</title></head>
<body><p>Not found. <a href="/">QAF Workbench</a> is a single page.</p></body></html>
`;

function staticHostFiles(): Plugin {
  return {
    name: 'static-host-files',
    apply: 'build',
    generateBundle() {
      const headers = readFileSync(new URL('./deploy/_headers', import.meta.url), 'utf8');
      this.emitFile({ type: 'asset', fileName: '_headers', source: headers });
      this.emitFile({ type: 'asset', fileName: '404.html', source: notFoundHtml });
    },
  };
}

// onnxruntime-web names its wasm with `new URL(..., import.meta.url)`, which makes Vite emit a second
// 14 MB copy into assets/. The app loads it from public/ort/ (wasmPaths, scripts/copyOrt.mjs), so
// point that fallback there too instead of emitting it.
const ortWasmUrl = 'new URL("ort-wasm-simd-threaded.wasm",import.meta.url)';

function ortWasmFromPublic(): Plugin {
  let base = '/';
  return {
    name: 'ort-wasm-from-public',
    apply: 'build',
    enforce: 'pre',
    configResolved(config) {
      base = config.base;
    },
    transform(code, id) {
      if (!id.includes('/onnxruntime-web/dist/') || !code.includes(ortWasmUrl)) return null;
      const url = JSON.stringify(`${base}ort/ort-wasm-simd-threaded.wasm`);
      return { code: code.replaceAll(ortWasmUrl, `new URL(${url},self.location.href)`), map: null };
    },
  };
}

export default defineConfig(({ command, isPreview }) => {
  const devNonce =
    command === 'serve' && !isPreview ? randomBytes(16).toString('base64') : undefined;
  return {
    // In the browser the whole app (core included) uses the CPU-only ort build, the one whose wasm
    // public/ort/ holds; Node (vitest) keeps the package's own Node entry.
    resolve: {
      alias: process.env.VITEST
        ? []
        : [{ find: /^onnxruntime-web$/, replacement: 'onnxruntime-web/wasm' }],
    },
    // 'mpa': no single-page fallback, so a path that is not a file answers 404, not the page
    // (the app is one page at /, which still serves index.html).
    appType: 'mpa',
    html: { cspNonce: devNonce },
    plugins: [react(), securityHeadersPlugin(devNonce), staticHostFiles(), ortWasmFromPublic()],
    // Workers are bundled by their own pipeline; ort lives in the model worker.
    worker: { format: 'es', plugins: () => [ortWasmFromPublic()] },
    preview: { port: 4173, strictPort: true },
    test: {
      environment: 'node',
      include: ['test/**/*.test.ts'],
      testTimeout: 300_000,
      hookTimeout: 300_000,
      reporters: ['default', ['json', { outputFile: 'test-results/unit.json' }]],
    },
  };
});
