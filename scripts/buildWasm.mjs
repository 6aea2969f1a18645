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
const outDir = resolve(root, 'public/wasm');
const wantText = process.argv.includes('--text');

// kernels.wasm runs wherever fixed-width SIMD does; kernels-relaxed.wasm (fused multiply-adds
// and a 5x8 sgemm tile instead of 4x8, see workers/kernels/assembly/sgemm.ts) is what
// loadKernels() picks where the engine has relaxed SIMD. Both export peakGflopsProbe, the
// multiply-add ceiling bench/kernels.ts compares the kernels with.
const builds = [
  { file: 'kernels.wasm', features: ['simd'] },
  { file: 'kernels-relaxed.wasm', features: ['simd', 'relaxed-simd'] },
];

mkdirSync(outDir, { recursive: true });
for (const { file, features } of builds) {
  const outFile = resolve(outDir, file);
  const args = [
    entry,
    '--outFile',
    outFile,
    '-O3',
    '--runtime',
    'stub',
    ...features.flatMap((f) => ['--enable', f]),
    '--use',
    'abort=',
    '--noAssert',
    ...(wantText ? ['--textFile', outFile.replace(/\.wasm$/, '.wat')] : []),
  ];
  const { error } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(`build:wasm failed on ${file}: ${error.message}`);
    process.exit(1);
  }
  console.log(`build:wasm: wrote ${outFile}`);
}
