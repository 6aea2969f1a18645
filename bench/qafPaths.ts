// The two QAF paths the wide-layer benchmarks compare (issue #14), on one layer:
//   new: the randomized start (slice SVDs / randomized SVD over sgemm), the default preset
//        (20 CP-ALS sweeps, or 12 extrapolated ones from rank 512, 3 inner steps, tolerance
//        1.5e-3, 5 polish rounds; from rank 512 with per-component scales at most 2 outer
//        steps, 4 polish rounds and 50 projection candidates), blocked float32 solves;
//   old: the peer, as before issue #14: the HOSVD start by the JavaScript Jacobi eigensolver
//        (the Jacobi SVD for a 2-way weight), 25 CP-ALS sweeps, float64 potrf/potrs solves and
//        an explicit float64 inverse in ADMM, 5 ADMM inner steps, outer tolerance 1e-3 and 4
//        polish rounds.
// Both share everything else (MTTKRP, the grid projection, the polish). Times are this
// process's CPU seconds (user + system): on a shared machine the wall clock mostly measures
// the queue for the cores.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ADMM_PRESETS, admmQuantizedCp } from '../src/core/factor/admm.ts';
import { cpAls, floatCpSchedule } from '../src/core/factor/cpAls.ts';
import { cpRelativeError, cpTarget } from '../src/core/factor/cpTensor.ts';
import { truncatedSvd } from '../src/core/factor/svd.ts';
import type { QafScales } from '../src/core/factor/types.ts';
import type { Kernels } from '../src/core/kernels/index.ts';

export type QafPath = 'old' | 'new';

/** The default preset's settings before issue #14: the old path's. */
export const OLD_SETTINGS = {
  start: 'hosvd-jacobi',
  cpIterations: 25,
  maxInner: 5,
  tol: 1e-3,
  polishRounds: 4,
} as const;
export const NEW_SETTINGS = {
  start: 'randomized',
  cpIterations: ADMM_PRESETS.default.cpIterations,
  wideFromRank: ADMM_PRESETS.default.wideFromRank,
  wideCpIterations: ADMM_PRESETS.default.wideCpIterations,
  wideComponentOuter: ADMM_PRESETS.default.wideComponentOuter,
  wideComponentPolish: ADMM_PRESETS.default.wideComponentPolish,
  wideComponentCandidates: ADMM_PRESETS.default.wideComponentCandidates,
  maxInner: ADMM_PRESETS.default.maxInner,
  tol: ADMM_PRESETS.default.tol,
  polishRounds: ADMM_PRESETS.default.polishRounds,
} as const;

export interface PathResult {
  /** Relative error of the float start (SVD or CP-ALS) the ADMM began from. */
  floatError: number;
  error: number;
  initSeconds: number;
  admmSeconds: number;
  outerSteps: number;
}

export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * QAF of one layer (dims = its CP view) by the `path`, at `rank` and `bits`, with one grid
 * scale per factor (default) or per component.
 */
export function runPath(
  kernels: Kernels,
  weight: Float32Array,
  dims: readonly number[],
  rank: number,
  bits: number,
  path: QafPath,
  scales: QafScales = 'factor',
): PathResult {
  const old = path === 'old';
  const solves = old ? 'float64' : 'auto';
  const t0 = cpuSeconds();
  let factors: Float32Array[];
  if (dims.length === 2) {
    const init = old ? 'hosvd-jacobi' : 'randomized';
    const svd = truncatedSvd(weight, dims[0], dims[1], rank, { init, kernels });
    factors = [svd.a, svd.b];
  } else {
    const schedule = old
      ? { maxIterations: OLD_SETTINGS.cpIterations, extrapolate: false }
      : floatCpSchedule(rank, NEW_SETTINGS.cpIterations, {
          fromRank: NEW_SETTINGS.wideFromRank,
          wideSweeps: NEW_SETTINGS.wideCpIterations,
        });
    factors = cpAls(kernels, weight, dims, rank, {
      init: old ? OLD_SETTINGS.start : NEW_SETTINGS.start,
      ...schedule,
      solves,
    }).factors;
  }
  const t1 = cpuSeconds();
  const q = admmQuantizedCp(kernels, weight, dims, factors, rank, bits, {
    scales,
    params: old
      ? {
          solves,
          maxInner: OLD_SETTINGS.maxInner,
          tol: OLD_SETTINGS.tol,
          polishRounds: OLD_SETTINGS.polishRounds,
          wideFromRank: 0,
        }
      : {},
  });
  const t2 = cpuSeconds();
  return {
    floatError: cpRelativeError(kernels, cpTarget(weight, dims), factors, rank),
    error: q.error,
    initSeconds: t1 - t0,
    admmSeconds: t2 - t1,
    outerSteps: q.iterations,
  };
}

/** `--name a,b,c` or `--name=a,b,c` from argv, else the default list. */
export function listArg(argv: readonly string[], name: string, fallback: string): string[] {
  const at = argv.indexOf(`--${name}`);
  const value =
    at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return (value ?? fallback).split(',').filter(Boolean);
}

/**
 * Builds public/wasm (scripts/buildWasm.mjs) when a module is missing or older than the kernel
 * sources: public/wasm is not in git, and without it loadKernels() falls back to the plain
 * JavaScript kernels, so a fresh clone would time those.
 */
export function ensureWasmBuilt(): void {
  const root = resolve(import.meta.dirname, '..');
  const srcDir = join(root, 'workers/kernels/assembly');
  const newest = Math.max(...readdirSync(srcDir).map((f) => statSync(join(srcDir, f)).mtimeMs));
  const outputs = ['kernels.wasm', 'kernels-relaxed.wasm'].map((f) => join(root, 'public/wasm', f));
  if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= newest)) return;
  console.log('building the wasm kernels (scripts/buildWasm.mjs) ...');
  const r = spawnSync(process.execPath, [join(root, 'scripts/buildWasm.mjs')], {
    stdio: 'inherit',
  });
  if (r.status !== 0)
    throw new Error('scripts/buildWasm.mjs failed; the benches need the wasm kernels');
}

/** A warning line when the kernels are the JavaScript fallback (no WebAssembly SIMD). */
export function kernelsNote(name: string): string {
  return name === 'js'
    ? 'WARNING: plain JavaScript kernels (no WebAssembly SIMD here): times are not comparable with the wasm figures'
    : '';
}
