// With prefetch (the CLI's threads), QAF's input statistics run onnxruntime; they must end before
// any probe runs it, since onnxruntime-web takes one run at a time (on ResNet-20 the two
// overlapped and the pass failed with "output name cannot be empty").
import { describe, expect, it, vi } from 'vitest';

const events: string[] = [];

vi.mock('../../src/core/calibrate/inputMoments.ts', async (original) => {
  const real = await original<typeof import('../../src/core/calibrate/inputMoments.ts')>();
  return {
    ...real,
    collectInputMoments: async (...args: Parameters<typeof real.collectInputMoments>) => {
      events.push('statistics start');
      await new Promise((resolve) => setTimeout(resolve, 20)); // a slow statistics run
      const moments = await real.collectInputMoments(...args);
      events.push('statistics end');
      return moments;
    },
  };
});

vi.mock('../../src/core/allocate/layerProbe.ts', async (original) => {
  const real = await original<typeof import('../../src/core/allocate/layerProbe.ts')>();
  const open = real.LayerProbe.open.bind(real.LayerProbe);
  real.LayerProbe.open = (async (...args: Parameters<typeof open>) => {
    events.push('probe');
    return open(...args);
  }) as typeof open;
  return {
    ...real,
    referenceScores: async (...args: Parameters<typeof real.referenceScores>) => {
      events.push('probe');
      return real.referenceScores(...args);
    },
  };
});

const { measureSensitivity } = await import('../../src/core/allocate/sensitivity.ts');
const { loadKernels } = await import('../../src/core/kernels/index.ts');
const { prepareModel } = await import('../../src/core/pipeline/prepare.ts');
const { LayerFactorCache } = await import('../../src/core/sweep/layerCache.ts');
const { randomBatches, residualModelBytes } = await import('./fixtures.ts');

describe('sensitivity with prefetch', () => {
  it('takes the input statistics before the first probe runs', async () => {
    const kernels = await loadKernels();
    const prepared = await prepareModel(residualModelBytes());
    const table = await measureSensitivity({
      prepared,
      kernels,
      batches: randomBatches(8, 4),
      menu: { rates: [2], bits: [4], ptqBits: [] },
      prefetch: true,
      factorCache: new LayerFactorCache(kernels),
    });
    expect(table.measured).toBeGreaterThan(0);
    expect(events.indexOf('statistics end')).toBeGreaterThan(-1);
    expect(events.indexOf('statistics end')).toBeLessThan(events.indexOf('probe'));
  });
});
