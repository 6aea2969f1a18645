/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// crossOriginIsolated needs both headers; without them onnxruntime-web silently drops to 1 thread.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function crossOriginIsolation(): Plugin {
  return {
    name: 'cross-origin-isolation',
    configureServer(server) {
      server.middlewares.use((_req, res, next) => {
        for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
        next();
      });
    },
    configurePreviewServer(server) {
      server.middlewares.use((_req, res, next) => {
        for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
        next();
      });
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

export default defineConfig({
  // In the browser the whole app (core included) uses the CPU-only ort build, the one whose wasm
  // public/ort/ holds; Node (vitest) keeps the package's own Node entry.
  resolve: {
    alias: process.env.VITEST
      ? []
      : [{ find: /^onnxruntime-web$/, replacement: 'onnxruntime-web/wasm' }],
  },
  plugins: [react(), crossOriginIsolation(), ortWasmFromPublic()],
  // Workers are bundled by their own pipeline; ort lives in the model worker.
  worker: { format: 'es', plugins: () => [ortWasmFromPublic()] },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders, port: 4173, strictPort: true },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default', ['json', { outputFile: 'test-results/unit.json' }]],
  },
});
