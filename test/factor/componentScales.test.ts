// QAF with one grid scale per rank-1 component (scales 'component') next to one per factor.
import { describe, expect, it } from 'vitest';
import { compressSettings } from '../../src/cli/compress.ts';
import { type CompressJob, compressLayer } from '../../src/core/factor/index.ts';
import type { InputMoments } from '../../src/core/factor/inputMoments.ts';
import type { FactorResult } from '../../src/core/factor/types.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { mulberry32 } from '../../src/core/util/prng.ts';
import { cpTensor } from './synthetic.ts';

const kernels = await loadKernels();

// A CP tensor whose components differ in size by up to 30x: one scale per factor spends its
// levels on the largest components and rounds the small ones to few codes; one scale per
// component does not. Plus a little noise, so the rank-R fit is not exact.
function unevenJob(shape: number[], rank: number, seed: number): CompressJob {
  const dims = [shape[0], shape[1], shape[2] * shape[3]];
  const { x } = cpTensor(kernels, dims, rank, seed);
  const next = mulberry32(seed + 1);
  // Mode-0 slice i grows by up to 30x: rank-1 components (and factor rows) of very different sizes.
  const weight = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const row = Math.floor(i / (dims[1] * dims[2]));
    weight[i] = x[i] * 30 ** (row / (dims[0] - 1)) + 0.01 * (next() - 0.5);
  }
  return { name: 'uneven', weight, shape, method: 'admm', rank, bits: 4, seed: 1 };
}

function onColumnGrid(f: FactorResult, bits: number): boolean {
  const s = f.columnScales!;
  if (s.length !== f.cols || f.scale !== undefined) return false;
  for (let i = 0; i < f.values.length; i++) {
    const q = f.codes![i];
    if (q < -(2 ** (bits - 1)) || q > 2 ** (bits - 1) - 1) return false;
    if (f.values[i] !== Math.fround(s[i % f.cols] * q)) return false;
  }
  return s.every((v) => v >= 0 && Number.isFinite(v));
}

describe("QAF scales 'component'", () => {
  it.each([
    [[24, 16, 3, 3], 6, 5],
    [[12, 20, 3, 3], 8, 6],
    [[32, 8, 1, 1], 4, 7],
  ])('%j rank %i: on a grid per column, error no higher than per factor', (shape, rank, seed) => {
    const job = unevenJob(shape, rank, seed);
    const perFactor = compressLayer(kernels, { ...job, scales: 'factor' });
    const perComponent = compressLayer(kernels, { ...job, scales: 'component' });
    for (const f of perComponent.factors) expect(onColumnGrid(f, 4)).toBe(true);
    expect(perComponent.error).toBeLessThanOrEqual(perFactor.error);
    expect(perComponent.warning).toBeUndefined();
  });

  it("'component' is the default: the same result, bit for bit", () => {
    const job = unevenJob([16, 12, 3, 3], 5, 9);
    const a = compressLayer(kernels, job);
    const b = compressLayer(kernels, { ...job, scales: 'component' });
    expect(a.error).toBe(b.error);
    a.factors.forEach((f, n) => {
      expect(f.columnScales).toEqual(b.factors[n].columnScales);
      expect(f.codes).toEqual(b.factors[n].codes);
    });
  });

  it('data-aware jobs: per column on the grid, output error no higher than per factor', () => {
    const job = unevenJob([16, 12, 3, 3], 5, 4);
    const [cin, kk, images] = [12, 9, 64];
    // Anisotropic channel moment (diagonal, three decades), identity over the kernel offsets.
    const diag = (n: number, v: (i: number) => number) =>
      Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? v(i / (n + 1)) : 0));
    const inputMoments: InputMoments = {
      images,
      samples: images * 64,
      channels: cin,
      channel: diag(cin, (i) => images * 64 * 10 ** (-3 * (i / (cin - 1)))),
      kernel: kk,
      spatial: diag(kk, () => images * 64 * cin),
      inputMode: 1,
    };
    const data = { ...job, objective: 'data' as const, inputMoments };
    const perFactor = compressLayer(kernels, { ...data, scales: 'factor' });
    const perComponent = compressLayer(kernels, { ...data, scales: 'component' });
    expect(perComponent.objective).toBe('data');
    expect(perComponent.warning).toBeUndefined();
    for (const f of perComponent.factors) expect(onColumnGrid(f, 4)).toBe(true);
    expect(perComponent.outputError!).toBeLessThanOrEqual(perFactor.outputError!);
  });

  it('qaf compress --scales: factor or component, anything else refused by name', () => {
    const base = { method: 'admm', rate: '2', bits: '4' };
    expect(compressSettings({ ...base, scales: 'component' }).scales).toBe('component');
    expect(compressSettings(base).scales).toBeUndefined();
    expect(() => compressSettings({ ...base, scales: 'row' })).toThrow(
      /--scales must be factor or component, got "row"/,
    );
  });
});
