#!/usr/bin/env node
// `npm run build:wasm`: compiles the AssemblyScript kernels to public/wasm/kernels.wasm, the one
// file the app (served at /wasm/kernels.wasm), the CLI, the tests and the benchmarks load.
// --runtime stub: the kernels never allocate (the TypeScript side lays out memory), and
// --use abort= drops the only import, so the module instantiates with an empty import object.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = resolve(root, 'workers/kernels/assembly/index.ts');
const outFile = resolve(root, 'public/wasm/kernels.wasm');
const wantText = process.argv.includes('--text');

mkdirSync(dirname(outFile), { recursive: true });
const args = [
  entry,
  '--outFile',
  outFile,
  '-O3',
  '--runtime',
  'stub',
  '--enable',
  'simd',
  '--use',
  'abort=',
  '--noAssert',
  ...(wantText ? ['--textFile', outFile.replace(/\.wasm$/, '.wat')] : []),
];
const { error } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
if (error) {
  console.error(`build:wasm failed: ${error.message}`);
  process.exit(1);
}
console.log(`build:wasm: wrote ${outFile}`);
