// The allocation file: a round trip keeps every field (a RegExp selection included); a bad
// file is rejected before any work with every problem listed, each naming its layer; and the
// pipeline writes the allocation into the compressed model's metadata_props.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOCATION_METADATA_KEY,
  AllocationError,
  formatAllocation,
  parseAllocation,
  validateAllocation,
} from '../../src/core/allocate/allocation.ts';
import type { Allocation } from '../../src/core/factor/modelJobs.ts';
import { DEFAULT_QAF_SCALES } from '../../src/core/factor/types.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import { compressModel } from '../../src/core/pipeline/compressModel.ts';
import { type PreparedModel, prepareModel } from '../../src/core/pipeline/prepare.ts';
import { residualModelBytes } from './fixtures.ts';

let prepared: PreparedModel;

beforeAll(async () => {
  prepared = await prepareModel(residualModelBytes());
});

const mixed: Allocation = {
  settings: { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0 },
  selection: { names: ['conv1', 'conv2'] },
  overrides: { conv1: { method: 'ptq', bits: 6 }, conv2: { rank: 30, bits: 3 } },
};

function problemsOf(allocation: Allocation): readonly string[] {
  try {
    validateAllocation(prepared.layers, allocation);
  } catch (err) {
    expect(err).toBeInstanceOf(AllocationError);
    return (err as AllocationError).problems;
  }
  return [];
}

describe('allocation files', () => {
  it('round-trips every field, a RegExp selection included', () => {
    expect(parseAllocation(formatAllocation(mixed))).toEqual(mixed);
    const byPattern: Allocation = {
      settings: { method: 'ptq', bits: 8, perChannel: true },
      selection: { layers: /conv\d/i, spatialOnly: true },
      overrides: { conv2: 'keep' },
    };
    const back = parseAllocation(formatAllocation(byPattern));
    expect(back.selection?.layers?.source).toBe('conv\\d');
    expect(back.selection?.layers?.flags).toBe('i');
    expect(back).toEqual(byPattern);
  });

  it('rejects malformed files with every problem named', () => {
    const text = JSON.stringify({
      format: 'qaf.allocation',
      settings: { method: 'svd', bits: 4.5, colour: 'red' },
      overrides: { conv1: { bits: '4' }, conv2: 'skip' },
    });
    try {
      parseAllocation(text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AllocationError);
      const problems = (err as AllocationError).problems.join('\n');
      expect(problems).toContain('settings.method must be one of admm, ftq, ptq, cp');
      expect(problems).toContain('settings.bits must be an integer');
      expect(problems).toContain('settings.colour is not a setting');
      expect(problems).toContain('overrides["conv1"].bits must be an integer');
      expect(problems).toContain('overrides["conv2"] must be an object');
    }
    expect(() => parseAllocation('{"settings": ')).toThrow(/not JSON/);
    expect(() => parseAllocation('{"version": 2, "settings": {"method":"ptq","bits":4}}')).toThrow(
      /version 2/,
    );
  });
});

describe('validateAllocation', () => {
  it('accepts a valid mixed allocation and returns the selected layers', () => {
    expect(validateAllocation(prepared.layers, mixed).map((l) => l.name)).toEqual([
      'conv1',
      'conv2',
    ]);
  });

  it('names a layer the model lacks', () => {
    const problems = problemsOf({ ...mixed, overrides: { 'layer9.conv': 'keep' } });
    expect(problems).toEqual(['no layer named "layer9.conv" in this model (overrides)']);
    expect(problemsOf({ ...mixed, selection: { names: ['conv1', 'nope'] } })).toContain(
      'no layer named "nope" in this model (selection)',
    );
  });

  it('names a layer given a rank above its maximum, or a rate that leaves none', () => {
    // conv2 is 16x16x3x3: CP view 16x16x9, at most floor(2304 / 41) = 56.
    const problems = problemsOf({ ...mixed, overrides: { conv2: { rank: 57 } } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^layer "conv2": rank 57 is above the 56 a 16x16x9 weight allows/);
    expect(problemsOf({ ...mixed, overrides: { conv1: { rate: 100 } } })[0]).toMatch(
      /^layer "conv1": rate 100 leaves rank 0 < 1/,
    );
  });

  it('names a layer given bits out of range, a method it cannot take, or no override target', () => {
    expect(problemsOf({ ...mixed, overrides: { conv1: { bits: 9 } } })).toEqual([
      'layer "conv1": bits must be an integer in 2..8, got 9',
    ]);
    const stemTooSmall = problemsOf({
      settings: { method: 'ptq', bits: 4 },
      selection: { names: ['stem', 'conv1'] },
      overrides: { stem: { method: 'admm', rate: 2 } },
    });
    expect(stemTooSmall).toEqual(['layer "stem": QAF (ADMM) does not apply to this layer']);
    expect(problemsOf({ ...mixed, selection: { names: ['conv1'] } })).toEqual([
      'layer "conv2": has an override but the selection leaves it out',
    ]);
  });

  it('rejects an allocation that compresses nothing', () => {
    expect(problemsOf({ ...mixed, overrides: { conv1: 'keep', conv2: 'keep' } })[0]).toMatch(
      /no layer to compress/,
    );
  });
});

describe('the written model says how it was made', () => {
  it('carries the allocation in metadata_props, and the report its true size', async () => {
    const built = await compressModel({
      prepared,
      kernels: await loadKernels(),
      allocation: mixed,
      check: false,
    });
    const entry = readModel(built.bytes).metadataProps?.find(
      (p) => p.key === ALLOCATION_METADATA_KEY,
    );
    expect(parseAllocation(entry?.value ?? '')).toEqual(mixed);
    expect(built.report.totals.sizeBytes).toBe(built.bytes.length);
    expect(built.results.map((r) => [r.name, r.method, r.rank, r.bits])).toEqual([
      ['conv1', 'ptq', 0, 6],
      ['conv2', 'admm', 30, 3],
    ]);
  });

  it('describes layer results handed over without an allocation', async () => {
    const kernels = await loadKernels();
    const first = await compressModel({ prepared, kernels, allocation: mixed, check: false });
    const again = await compressModel({ prepared, kernels, results: first.results, check: false });
    const entry = readModel(again.bytes).metadataProps?.find(
      (p) => p.key === ALLOCATION_METADATA_KEY,
    );
    const described = parseAllocation(entry?.value ?? '');
    expect(described.overrides).toEqual({
      conv1: { method: 'ptq', bits: 6 },
      // QAF results name their grid scales (the engine's default here).
      conv2: { method: 'admm', bits: 3, rank: 30, scales: DEFAULT_QAF_SCALES },
    });
    expect(validateAllocation(prepared.layers, described).map((l) => l.name)).toEqual([
      'conv1',
      'conv2',
    ]);
  });

  it('keeps per-component scales in the described allocation, and re-runs them', async () => {
    const kernels = await loadKernels();
    const component: Allocation = {
      ...mixed,
      overrides: { ...mixed.overrides, conv2: { rank: 30, bits: 3, scales: 'component' } },
    };
    const first = await compressModel({ prepared, kernels, allocation: component, check: false });
    const again = await compressModel({ prepared, kernels, results: first.results, check: false });
    const entry = readModel(again.bytes).metadataProps?.find(
      (p) => p.key === ALLOCATION_METADATA_KEY,
    );
    const described = parseAllocation(entry?.value ?? '');
    expect(described.overrides?.conv2).toEqual({
      method: 'admm',
      bits: 3,
      rank: 30,
      scales: 'component',
    });
    const rerun = await compressModel({ prepared, kernels, allocation: described, check: false });
    expect(rerun.results[1].error).toBe(first.results[1].error);
    expect(rerun.results[1].factors.some((f) => f.columnScales !== undefined)).toBe(true);
    expect(() =>
      parseAllocation(JSON.stringify({ ...mixed, settings: { ...mixed.settings, scales: 'x' } })),
    ).toThrow(/scales must be "factor" or "component"/);
  });
});
