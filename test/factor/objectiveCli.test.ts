// `qaf compress --qaf-objective`: the flag's values, and the data-aware objective's need for
// calibration images said before any work.
import { describe, expect, it } from 'vitest';
import { compressSettings } from '../../src/cli/compress.ts';
import { cliInputMoments, parseObjective } from '../../src/cli/objective.ts';
import { jsKernels } from '../../src/core/kernels/index.ts';
import type { PreparedModel } from '../../src/core/pipeline/index.ts';

describe('--qaf-objective', () => {
  it('takes published or data, nothing else', () => {
    expect(parseObjective({})).toBeUndefined();
    expect(parseObjective({ 'qaf-objective': 'data' })).toBe('data');
    expect(() => parseObjective({ 'qaf-objective': 'output' })).toThrow(/published or data/);
    const settings = { method: 'admm', rate: '2', bits: '4', 'qaf-objective': 'published' };
    expect(compressSettings(settings).objective).toBe('published');
    expect(compressSettings({ method: 'admm', rate: '2', bits: '4' }).objective).toBeUndefined();
  });

  it('data without calibration images is a usage error; the default is published then', async () => {
    const prepared = { model: { graph: {} }, layers: [] } as unknown as PreparedModel;
    const settings = { method: 'admm', rate: 2, bits: 4 } as const;
    await expect(
      cliInputMoments(jsKernels, prepared, { settings: { ...settings, objective: 'data' } }, null),
    ).rejects.toThrow(/--calibration-data/);
    expect(await cliInputMoments(jsKernels, prepared, { settings }, null)).toBeNull();
    const published = { settings: { ...settings, objective: 'published' as const } };
    expect(await cliInputMoments(jsKernels, prepared, published, null)).toBeNull();
  });
});
