import { describe, expect, it } from 'vitest';
import {
  admmQuantizedCp,
  type CompressJob,
  compressLayer,
  cpAls,
} from '../../src/core/factor/index.ts';
import {
  channelMoment,
  type InputMoments,
  momentWeights,
} from '../../src/core/factor/inputMoments.ts';
import { admmWeightedCp, weightedRelativeError } from '../../src/core/factor/weightedAdmm.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { mulberry32, normalSampler } from '../../src/core/util/prng.ts';
import { cpTensor, onGrid } from './synthetic.ts';

const kernels = await loadKernels();

// A layer whose inputs are strongly anisotropic: the channel second moment of inputs x = M z
// (z standard normal) has eigenvalues spread over three decades, the spatial one is correlated.
function syntheticLayer(cout: number, cin: number, k: number, seed: number, images: number) {
  const next = normalSampler(seed);
  const weight = Float32Array.from({ length: cout * cin * k * k }, () => next());
  const mix = new Float64Array(cin * cin);
  for (let i = 0; i < cin; i++) {
    const scale = 10 ** (-1.5 * (i / Math.max(cin - 1, 1)));
    for (let j = 0; j < cin; j++) mix[j * cin + i] = scale * next();
  }
  const channel = new Float64Array(cin * cin);
  for (let a = 0; a < cin; a++) {
    for (let b = 0; b < cin; b++) {
      let s = 0;
      for (let i = 0; i < cin; i++) s += mix[a * cin + i] * mix[b * cin + i];
      channel[a * cin + b] = s * images * 64;
    }
  }
  const kk = k * k;
  const spatial = new Float64Array(kk * kk);
  for (let a = 0; a < kk; a++) {
    for (let b = 0; b < kk; b++) {
      const [ya, xa, yb, xb] = [Math.floor(a / k), a % k, Math.floor(b / k), b % k];
      spatial[a * kk + b] = 0.6 ** (Math.abs(ya - yb) + Math.abs(xa - xb)) * images * 64 * cin;
    }
  }
  const moments: InputMoments = {
    images,
    samples: images * 64,
    channels: cin,
    channel,
    kernel: kk,
    spatial,
    inputMode: 1,
  };
  return { weight, shape: [cout, cin, k, k], moments };
}

function job(
  layer: ReturnType<typeof syntheticLayer>,
  objective: 'data' | 'published',
): CompressJob {
  return {
    name: 'synthetic',
    weight: layer.weight,
    shape: layer.shape,
    method: 'admm',
    rate: 2,
    bits: 4,
    objective,
    inputMoments: layer.moments,
    // One scale per factor: the grid checks below read f.scale (per component: componentScales).
    scales: 'factor',
  };
}

describe('data-aware QAF', () => {
  it('lowers the input-weighted error of a layer with anisotropic inputs', () => {
    const layer = syntheticLayer(24, 20, 3, 5, 256);
    const check = momentWeights(layer.moments, layer.shape);
    if (!('weights' in check)) throw new Error(check.reason);
    const dims = [24, 20, 9];
    const published = compressLayer(kernels, job(layer, 'published'));
    const data = compressLayer(kernels, job(layer, 'data'));
    expect(data.objective).toBe('data');
    expect(published.objective).toBe('published');
    const err = (r: typeof data) =>
      weightedRelativeError(
        kernels,
        layer.weight,
        dims,
        r.factors.map((f) => f.values),
        r.rank,
        check.weights,
      );
    expect(err(data)).toBeLessThan(0.9 * err(published));
    expect(data.outputError).toBeCloseTo(err(data), 4);
    for (const f of data.factors) expect(onGrid(f.codes!, f.scale!, f.values, 4)).toBe(true);
  });

  it('with identity weights solves the published problem', () => {
    // Grid factors plus noise: many outer steps, so the two solvers must agree step after step.
    const next = mulberry32(9);
    const dims = [12, 10, 9];
    const rank = 8;
    const x = cpTensor(kernels, dims, rank, 11, 4).x.map((v) => v + 0.3 * (next() - 0.5));
    const start = cpAls(kernels, x, dims, rank, { maxIterations: 20 });
    const eye = (n: number) => {
      const m = new Float64Array(n * n);
      for (let i = 0; i < n; i++) m[i * n + i] = 1;
      return m;
    };
    const plain = admmQuantizedCp(kernels, x, dims, start.factors, rank, 4);
    const weighted = admmWeightedCp(
      kernels,
      x,
      dims,
      start.factors,
      rank,
      4,
      [null, eye(10), eye(9)],
      {
        startSweeps: 0,
      },
    );
    expect(plain.iterations).toBeGreaterThan(2);
    expect(weighted.weightedError).toBeCloseTo(weighted.error, 5);
    expect(Math.abs(weighted.error - plain.error)).toBeLessThan(2e-3 * plain.error);
  });

  it.each([1, 8])(
    'falls back to the published objective on %i images, with a warning',
    (images) => {
      const layer = syntheticLayer(16, 12, 3, 7, images);
      const result = compressLayer(kernels, job(layer, 'data'));
      expect(result.objective).toBe('published');
      expect(result.warning).toMatch(/too few/);
      for (const f of result.factors) expect(f.values.every(Number.isFinite)).toBe(true);
      const published = compressLayer(kernels, job(layer, 'published'));
      expect(result.error).toBe(published.error);
    },
  );
});

describe('the default objective', () => {
  it('is data-aware when the job carries statistics, published (no warning) when not', () => {
    const layer = syntheticLayer(16, 12, 3, 7, 64);
    const withStats = compressLayer(kernels, { ...job(layer, 'data'), objective: undefined });
    expect(withStats.objective).toBe('data');
    const without = compressLayer(kernels, {
      ...job(layer, 'data'),
      objective: undefined,
      inputMoments: undefined,
    });
    expect(without.objective).toBe('published');
    expect(without.warning).toBeUndefined();
  });
});

describe('data-aware QAF on 2-way weights', () => {
  it.each([1, 0] as const)('weighs the input mode %i (conv/Gemm transB: 1, MatMul: 0)', (mode) => {
    const next = normalSampler(21);
    const [rows, cols] = mode === 1 ? [24, 30] : [30, 24];
    const weight = Float32Array.from({ length: rows * cols }, () => next());
    const n = mode === 1 ? cols : rows;
    const channel = new Float64Array(n * n);
    for (let i = 0; i < n; i++) channel[i * n + i] = 10 ** (-2 * (i / (n - 1))) * 1000;
    const moments: InputMoments = {
      images: 64,
      samples: 1000,
      channels: n,
      channel,
      kernel: 1,
      inputMode: mode,
    };
    const base: CompressJob = {
      name: 'fc',
      weight,
      shape: [rows, cols],
      method: 'admm',
      rate: 2,
      bits: 4,
    };
    const data = compressLayer(kernels, { ...base, objective: 'data', inputMoments: moments });
    const published = compressLayer(kernels, { ...base, objective: 'published' });
    const check = momentWeights(moments, [rows, cols]);
    if (!('weights' in check)) throw new Error(check.reason);
    expect(check.weights[mode]).not.toBeNull();
    expect(check.weights[1 - mode]).toBeNull();
    const err = (r: typeof data) =>
      weightedRelativeError(
        kernels,
        weight,
        [rows, cols],
        r.factors.map((f) => f.values),
        r.rank,
        check.weights,
      );
    expect(data.objective).toBe('data');
    expect(err(data)).toBeLessThan(err(published));
  });
});

describe('the centred channel moment (a model calibrated after compression)', () => {
  it('subtracts the mean: a constant input leaves only the damping', () => {
    const c = 3;
    const samples = 100;
    // Every input vector is (1, 2, 3): the second moment is rank one, the covariance zero.
    const mean = [1, 2, 3];
    const channel = new Float64Array(c * c).map(
      (_, k) => samples * mean[Math.floor(k / c)] * mean[k % c],
    );
    const channelSum = Float64Array.from(mean, (m) => m * samples);
    const base: InputMoments = {
      images: 64,
      samples,
      channels: c,
      channel,
      channelSum,
      kernel: 1,
      inputMode: 1,
    };
    expect(channelMoment(base)).toBe(channel);
    const centred = channelMoment({ ...base, centre: true });
    for (const v of centred) expect(Math.abs(v)).toBeLessThan(1e-9);
    // All zero: nothing to weigh, so the published objective, with the reason.
    expect(momentWeights({ ...base, centre: true }, [8, c])).toHaveProperty('reason');
  });
});
