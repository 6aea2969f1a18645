#!/usr/bin/env node
// Copies the onnxruntime-web CPU build (`onnxruntime-web/wasm`) into public/ort/ so the app serves
// it from its own origin: the app must work offline, and a missing file would come back as
// index.html ("expected magic word 00 61 73 6d, found 3c 21 44 4f"). The jsep/jspi/asyncify
// variants are not copied: they belong to the WebGPU/WebNN entries, which the app does not use.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(repoRoot, 'node_modules/onnxruntime-web/dist');
const targetDir = join(repoRoot, 'public/ort');
const files = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'];

mkdirSync(targetDir, { recursive: true });
for (const name of files) {
  copyFileSync(join(sourceDir, name), join(targetDir, name));
}
console.log(`onnxruntime-web: ${files.join(', ')} -> public/ort/`);
