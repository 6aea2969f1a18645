// A BOP budget with a size budget beside it (bops=...,size=...): BOPs count 5-bit arithmetic as
// 5 bits while the file stores those codes in 8-bit containers, so the second limit keeps the
// file within its bytes; an impossible pair says so.
import { describe, expect, it } from 'vitest';
import { allocateForBudget, BudgetError, parseBudgets } from '../../src/core/allocate/budget.ts';
import { type LayerOption, optionId } from '../../src/core/allocate/options.ts';
import type { OptionSensitivity } from '../../src/core/allocate/table.ts';
import { syntheticTable, tableLayer } from './tables.ts';

function option(o: LayerOption, bops: number, bytes: number, error: number): OptionSensitivity {
  return {
    id: optionId(o),
    option: o,
    rank: 4,
    bops,
    weightBytes: bytes,
    storedBytes: bytes,
    weightError: 0,
    scoreError: Math.sqrt(error),
    outputError: Math.sqrt(error),
    kl: error,
    agreement: 1 - error,
  };
}

// x: 5 bits (cheap in BOPs, 8-bit container), y: 4 bits, z: a smaller rank at 4 bits.
const options = [
  option({ method: 'admm', rate: 2, bits: 5 }, 100, 100, 1),
  option({ method: 'admm', rate: 2.5, bits: 4 }, 100, 50, 2),
  option({ method: 'admm', rate: 4, bits: 4 }, 50, 50, 5),
];
const table = syntheticTable([tableLayer('a', options), tableLayer('b', options)], {
  fixed: { bops: 0, weightBytes: 0, storedBytes: 0 },
});
const ids = (r: ReturnType<typeof allocateForBudget>) => r.choices.map((c) => c.option.id);

describe('a second budget', () => {
  it('parses as a pair of different kinds', () => {
    expect(parseBudgets('bops=5%,size=120KB')).toEqual({
      budget: { kind: 'bops', percent: 5 },
      also: { kind: 'size', bytes: 120_000 },
    });
    expect(parseBudgets('size=1KB')).toEqual({ budget: { kind: 'size', bytes: 1000 } });
    expect(() => parseBudgets('bops=5%,bops=6%')).toThrow(/different kinds/);
    expect(() => parseBudgets('bops=5%,size=1KB,latency=2ms')).toThrow(/at most two/);
  });

  it('keeps the file within its bytes at the BOPs, at the least sensitivity it finds', () => {
    const bops = { kind: 'bops', bops: 200 } as const;
    expect(ids(allocateForBudget(table, bops))).toEqual(['admm-r2-w5', 'admm-r2-w5']);
    const mixed = allocateForBudget(table, bops, { also: { kind: 'size', bytes: 150 } });
    expect(mixed.totals.storedBytes).toBeLessThanOrEqual(150);
    expect(mixed.predicted.value).toBeCloseTo(3);
    expect(mixed.solver.exact).toBe(false);
    // The first budget's optimum alone bounds it from below.
    expect(mixed.solver.lowerBound).toBeCloseTo(2);
    const tight = allocateForBudget(table, bops, { also: { kind: 'size', bytes: 100 } });
    expect(ids(tight)).toEqual(['admm-r2.5-w4', 'admm-r2.5-w4']);
    // A second limit already met changes nothing, and the answer stays exact.
    const loose = allocateForBudget(table, bops, { also: { kind: 'size', bytes: 1000 } });
    expect(ids(loose)).toEqual(ids(allocateForBudget(table, bops)));
    expect(loose.solver.exact).toBe(true);
  });

  it('says when the two cannot both be met', () => {
    const run = () =>
      allocateForBudget(table, { kind: 'bops', bops: 200 }, { also: { kind: 'size', bytes: 90 } });
    expect(run).toThrow(BudgetError);
    expect(run).toThrow(/cannot both be met/);
  });
});
