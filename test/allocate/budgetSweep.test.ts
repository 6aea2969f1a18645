// The budget sweep's budgets: evenly over the uniform QAF curve's BOPs, at the panel's bits or the
// nearest the table measured, never below the cheapest reachable allocation.
import { describe, expect, it } from 'vitest';
import { budgetSweepPlan, uniformBopPercent } from '../../src/core/allocate/budgetSweep.ts';
import { type LayerOption, optionId } from '../../src/core/allocate/options.ts';
import type { OptionSensitivity, SensitivityTable } from '../../src/core/allocate/table.ts';
import { syntheticTable, tableLayer } from './tables.ts';

function option(o: LayerOption, bops: number): OptionSensitivity {
  return {
    id: optionId(o),
    option: o,
    rank: 1,
    bops,
    weightBytes: bops / 100,
    weightError: 0,
    scoreError: 0.1,
    outputError: 0.1,
    kl: 0.01,
    agreement: 0.99,
  };
}

/** Two layers of 2,000 BOPs each; float 10,000 with 1,000 outside the table. */
function table(options: OptionSensitivity[]): SensitivityTable {
  return syntheticTable([tableLayer('conv1', options), tableLayer('conv2', options)], {
    fixed: { bops: 1000, weightBytes: 10 },
  });
}

const menu = [
  option('keep', 2000),
  option({ method: 'admm', rate: 2, bits: 4 }, 500),
  option({ method: 'admm', rate: 4, bits: 4 }, 250),
  option({ method: 'admm', rate: 2, bits: 8 }, 1000),
  option({ method: 'admm', rate: 4, bits: 8 }, 500),
];

describe('budgetSweepPlan', () => {
  it('spans the uniform options at the panel bits, evenly, ascending', () => {
    const t = table(menu);
    expect(uniformBopPercent(t, 'admm-r2-w4')).toBeCloseTo(20);
    expect(uniformBopPercent(t, 'admm-r4-w4')).toBeCloseTo(15);
    expect(uniformBopPercent(t, 'admm-r3-w4')).toBeNull();
    const plan = budgetSweepPlan(t, 4, 5);
    expect(plan.percents.map((p) => Number(p.toFixed(4)))).toEqual([15, 16.25, 17.5, 18.75, 20]);
    expect(plan.span).toBe('uniform QAF rates 4 to 2 at 4 bits');
  });

  it('takes the nearest measured bit width and one budget when asked for one', () => {
    const plan = budgetSweepPlan(table(menu), 6, 1);
    // 6 is as near 4 as 8; the first measured (4) wins; one budget is the dearest uniform point.
    expect(plan.percents).toHaveLength(1);
    expect(plan.percents[0]).toBeCloseTo(20);
    expect(budgetSweepPlan(table(menu), 7, 3).span).toContain('at 8 bits');
  });

  it('with one rate, from the cheapest reachable allocation to it', () => {
    const t = table([option('keep', 2000), option({ method: 'admm', rate: 2, bits: 4 }, 500)]);
    const plan = budgetSweepPlan(t, 4, 3);
    expect(plan.percents[0]).toBeCloseTo(20);
    expect(plan.percents).toHaveLength(1);
    const cheaper = table([
      option('keep', 2000),
      option({ method: 'admm', rate: 2, bits: 4 }, 500),
      option({ method: 'ptq', bits: 2 }, 100),
    ]);
    const p2 = budgetSweepPlan(cheaper, 4, 3);
    expect(p2.percents.map((p) => Number(p.toFixed(4)))).toEqual([12, 16, 20]);
    expect(p2.span).toContain('cheapest allocation');
  });

  it('says why when the table has nothing to sweep', () => {
    expect(() => budgetSweepPlan(table([option('keep', 2000)]), 4, 5)).toThrow(/no factorized/);
  });
});
