#!/usr/bin/env node
// Builds the bundled demo (public/demo/) from ../shared: ResNet-20 (CIFAR-10), 1,000 test images
// and 1,024 training images for calibration. Run once by a developer; the outputs are committed,
// so the app never needs ../shared at run time. The image subsets are the core's own stratified
// picks (src/core/data/subset.ts): the test subset is the same 1,000 images as the "quick" subset
// of the full test batch, so demo numbers match the CLI's quick numbers.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = process.env.QAF_SHARED_DIR ?? resolve(repoRoot, '../shared');
const targetDir = join(repoRoot, 'public/demo');
// CIFAR-10 binary layout: one label byte, then 32x32x3 planar pixels.
const RECORD_BYTES = 1 + 32 * 32 * 3;

const { subsetIndices } = await tsImport('../src/core/data/subset.ts', import.meta.url);

/** Writes the records at the (ascending) indices picked from a CIFAR-10 .bin file. */
function pickRecords(source, target, size) {
  const bytes = readFileSync(join(sharedDir, source));
  const count = bytes.length / RECORD_BYTES;
  const labels = Int32Array.from({ length: count }, (_, i) => bytes[i * RECORD_BYTES]);
  const indices = subsetIndices({ count, labels }, 'quick', size);
  const out = new Uint8Array(indices.length * RECORD_BYTES);
  indices.forEach((index, k) => {
    out.set(bytes.subarray(index * RECORD_BYTES, (index + 1) * RECORD_BYTES), k * RECORD_BYTES);
  });
  writeFileSync(join(targetDir, target), out);
  const perClass = new Array(10).fill(0);
  for (const index of indices) perClass[labels[index]]++;
  console.log(`${target}: ${indices.length} of ${count} images, per class ${perClass.join(' ')}`);
}

mkdirSync(targetDir, { recursive: true });
copyFileSync(
  join(sharedDir, 'models/resnet20_cifar10.onnx'),
  join(targetDir, 'resnet20_cifar10.onnx'),
);
chmodSync(join(targetDir, 'resnet20_cifar10.onnx'), 0o644); // ../shared is read-only
pickRecords('data/cifar10_test_batch.bin', 'cifar10_test_1000.bin', 1000);
pickRecords('data/cifar10_train_5k.bin', 'cifar10_train_1024.bin', 1024);
const total = ['resnet20_cifar10.onnx', 'cifar10_test_1000.bin', 'cifar10_train_1024.bin']
  .map((name) => statSync(join(targetDir, name)).size)
  .reduce((a, b) => a + b, 0);
console.log(`public/demo: ${(total / 1e6).toFixed(2)} MB in all`);
