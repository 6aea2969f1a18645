// Budgets: parsing, the fixed part of the model, the unreachable case with its smallest value,
// and the allocation a solution becomes (validated on a model, its jobs what was chosen).
import { beforeAll, describe, expect, it } from 'vitest';
import { validateAllocation } from '../../src/core/allocate/allocation.ts';
import {
  allocateForBudget,
  BudgetError,
  budgetSpan,
  parseBudget,
  smallestReachable,
} from '../../src/core/allocate/budget.ts';
import { type LayerOption, optionId } from '../../src/core/allocate/options.ts';
import type { OptionSensitivity, SensitivityTable } from '../../src/core/allocate/table.ts';
import { allocationJobs } from '../../src/core/factor/modelJobs.ts';
import { type PreparedModel, prepareModel } from '../../src/core/pipeline/prepare.ts';
import { residualModelBytes } from './fixtures.ts';
import { syntheticTable, tableLayer } from './tables.ts';

function option(o: LayerOption, rank: number, bops: number, kl: number): OptionSensitivity {
  return {
    id: optionId(o),
    option: o,
    rank,
    bops,
    weightBytes: bops / 100,
    weightError: 0,
    scoreError: Math.sqrt(kl),
    outputError: Math.sqrt(kl),
    kl,
    agreement: 1 - kl,
  };
}

/** Two layers, float BOPs 10,000; the layers outside the table cost 1,000 BOPs and 10 bytes. */
function table(): SensitivityTable {
  const layer = (name: string, scale: number) =>
    tableLayer(name, [
      option('keep', 0, 2000, 0),
      option({ method: 'ptq', bits: 4 }, 0, 1000, 0.01 * scale),
      option({ method: 'admm', rate: 2, bits: 4 }, 28, 500, 0.02 * scale),
      option({ method: 'admm', rate: 4, bits: 3 }, 14, 200, 0.2 * scale),
    ]);
  return syntheticTable([layer('conv1', 1), layer('conv2', 3)], {
    fixed: { bops: 1000, weightBytes: 10 },
  });
}

let prepared: PreparedModel;
beforeAll(async () => {
  prepared = await prepareModel(residualModelBytes());
});

describe('parseBudget', () => {
  it('reads BOP percentages, BOPs and sizes with decimal and binary units', () => {
    expect(parseBudget('bops=5%')).toEqual({ kind: 'bops', percent: 5 });
    expect(parseBudget('bops=1.5e9')).toEqual({ kind: 'bops', bops: 1.5e9 });
    expect(parseBudget('size=120KB')).toEqual({ kind: 'size', bytes: 120_000 });
    expect(parseBudget('size=1.5KiB')).toEqual({ kind: 'size', bytes: 1536 });
    expect(parseBudget('size=900')).toEqual({ kind: 'size', bytes: 900 });
  });

  it('rejects what it cannot read', () => {
    expect(() => parseBudget('time=3ms')).toThrow(/bops=5%/);
    expect(() => parseBudget('bops=-1%')).toThrow();
    expect(() => parseBudget('size=3 parsecs')).toThrow(/size units/);
    expect(() => parseBudget('bops=5KB')).toThrow(/BOPs take %/);
  });
});

describe('allocateForBudget', () => {
  it('spends the budget on the more sensitive layer', () => {
    // 25 % of 10,000 BOPs = 2,500; 1,000 are fixed, so the two layers share 1,500.
    const result = allocateForBudget(table(), { kind: 'bops', percent: 25 });
    expect(result.choices.map((c) => c.option.id)).toEqual(['admm-r2-w4', 'ptq-w4']);
    expect(result.totals.bops).toBe(2500);
    expect(result.totals.bopPercent).toBe(25);
    expect(result.predicted.kl).toBeCloseTo(0.05, 12);
    expect(result.solver.exact).toBe(true);
  });

  it("carries a table's non-default QAF scales into the allocation's settings", () => {
    const budget = { kind: 'bops', percent: 25 } as const;
    expect(allocateForBudget(table(), budget).allocation.settings.scales).toBeUndefined();
    const perFactor = allocateForBudget({ ...table(), scales: 'factor' }, budget);
    expect(perFactor.allocation.settings.scales).toBe('factor');
  });

  it('budgets the ideal weight bytes of the whole model when a table has no stored bytes', () => {
    // 25 bytes - 10 fixed = 15 for the layers: admm-r2-w4 (5) + ptq-w4 (10), the better way round.
    const result = allocateForBudget(table(), { kind: 'size', bytes: 25 });
    expect(result.choices.map((c) => c.option.id)).toEqual(['admm-r2-w4', 'ptq-w4']);
    expect(result.totals.weightBytes).toBe(25);
  });

  it('budgets the bytes the file stores when the table has them', () => {
    // A 5-bit option stores its codes in INT8, as much as 8 bits: the ideal bytes would let it
    // in under 25 bytes, the stored bytes do not.
    const t = table();
    t.fixed.storedBytes = 12;
    for (const layer of t.layers) {
      for (const o of layer.options) o.storedBytes = o.weightBytes + 1;
      const w5 = option({ method: 'admm', rate: 2, bits: 5 }, 28, 625, 0.001);
      layer.options.push({ ...w5, storedBytes: 2 * 5 + 1 });
    }
    const old = structuredClone(t);
    delete old.fixed.storedBytes;
    for (const layer of old.layers) for (const o of layer.options) delete o.storedBytes;
    const ideal = allocateForBudget(old, { kind: 'size', bytes: 25 });
    expect(ideal.choices.map((c) => c.option.id)).toEqual(['admm-r2-w5', 'admm-r2-w5']);
    const stored = allocateForBudget(t, { kind: 'size', bytes: 25 });
    // 25 - 12 fixed = 13 stored bytes for the layers: 6 + 6 (r2 w4 twice), not 11 + 6.
    expect(stored.choices.map((c) => c.option.id)).toEqual(['admm-r2-w4', 'admm-r2-w4']);
    expect(stored.totals.storedBytes).toBe(24);
    expect(stored.totals.weightBytes).toBe(20);
  });

  it('spans a slider from the cheapest allocation to the dearest, in the budget unit', () => {
    // 1,000 fixed + 2 x 200 (cheapest) = 14 %; 1,000 + 2 x 2,000 (keep) = 50 %.
    const span = budgetSpan(table(), { kind: 'bops', percent: 1 });
    expect(span.min).toBeCloseTo(14, 12);
    expect(span.max).toBeCloseTo(50, 12);
  });

  it('says when a budget is unreachable, and gives the smallest reachable value', () => {
    // Cheapest: 1,000 fixed + 2 x 200 = 1,400 BOPs = 14 %.
    expect(smallestReachable(table(), { kind: 'bops', percent: 1 })).toBeCloseTo(14, 12);
    try {
      allocateForBudget(table(), { kind: 'bops', percent: 10 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BudgetError);
      expect((err as BudgetError).smallest).toBeCloseTo(14, 12);
      expect((err as Error).message).toMatch(
        /bops=10% cannot be met: the smallest reachable is 14\.000 %/,
      );
    }
    expect(() => allocateForBudget(table(), { kind: 'size', bytes: 12 })).toThrow(
      /smallest reachable is 14 bytes/,
    );
  });

  it('writes a choice as an allocation whose jobs are the choice, valid on the model', () => {
    const result = allocateForBudget(table(), { kind: 'bops', percent: 21 });
    const ids = result.choices.map((c) => c.option.id);
    expect(ids).toEqual(['admm-r2-w4', 'admm-r2-w4']);
    const mixed = allocateForBudget(table(), { kind: 'bops', percent: 40 });
    expect(mixed.choices.map((c) => c.option.id)).toEqual(['ptq-w4', 'keep']);
    for (const r of [result, mixed]) {
      validateAllocation(prepared.layers, r.allocation);
      const jobs = allocationJobs(prepared.model, prepared.layers, r.allocation);
      const chosen = r.choices.filter((c) => c.option.option !== 'keep');
      expect(jobs.map((j) => j.name)).toEqual(chosen.map((c) => c.layer));
      jobs.forEach((job, i) => {
        const o = chosen[i].option.option as Exclude<LayerOption, 'keep'>;
        expect(job.method).toBe(o.method);
        expect(job.bits).toBe(o.bits);
        if (o.method === 'admm') expect(job.rate).toBe(o.rate);
      });
    }
    // The most common choice becomes the global settings; the rest are overrides.
    expect(mixed.allocation.settings).toMatchObject({ method: 'ptq', bits: 4 });
    expect(mixed.allocation.overrides).toEqual({ conv2: 'keep' });
  });
});
