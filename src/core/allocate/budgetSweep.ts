// The budgets of a "budget sweep" (issue #15 item 4): the allocated curve is drawn over the BOP
// span the uniform QAF curve covers, so the two compare at equal BOPs. Pure: the app runs the
// points (app/workbench/budgetSweep.ts), the bench has its own list (the uniform points').
import { budgetSpan } from './budget.ts';
import { optionId } from './options.ts';
import type { SensitivityTable } from './table.ts';

/**
 * BOP % of the whole model with every table layer at option `id` ('admm-r2-w4', 'ptq-w4': the
 * cost model's number, as the solver counts it); null when some layer's menu lacks that option.
 */
export function uniformBopPercent(table: SensitivityTable, id: string): number | null {
  let bops = table.fixed.bops;
  for (const layer of table.layers) {
    const o = layer.options.find((x) => x.id === id);
    if (!o) return null;
    bops += o.bops;
  }
  return (100 * bops) / table.floatBops;
}

export interface BudgetSweepPlan {
  /** BOP % budgets, ascending. */
  percents: number[];
  /** Where the span comes from, in words ("uniform QAF rates 4 to 2 at 4 bits"). */
  span: string;
}

/**
 * `count` BOP budgets evenly spaced over the span of the uniform QAF options the table measured at
 * `bits` (its nearest measured bit width when `bits` is not in the menu): from the highest rate's
 * BOP % to the lowest's. With one rate, from the cheapest reachable allocation to it. Budgets
 * below the cheapest reachable allocation are raised to it.
 */
export function budgetSweepPlan(
  table: SensitivityTable,
  bits: number,
  count: number,
): BudgetSweepPlan {
  if (table.layers.length === 0) throw new Error('the sensitivity table has no layer');
  const factorized = table.layers[0].options.flatMap((o) =>
    o.option === 'keep' || o.option.rate === undefined ? [] : [o.option],
  );
  if (factorized.length === 0) throw new Error('the sensitivity table has no factorized option');
  const measuredBits = [...new Set(factorized.map((o) => o.bits))];
  const at = measuredBits.reduce((a, b) => (Math.abs(b - bits) < Math.abs(a - bits) ? b : a));
  // The options at that width, by rate: the lowest rate is the dearest uniform point.
  const byRate = factorized.filter((o) => o.bits === at).sort((a, b) => a.rate! - b.rate!);
  const rates = byRate.map((o) => o.rate!);
  const min = budgetSpan(table, { kind: 'bops', percent: 1 }).min;
  const hi = uniformBopPercent(table, optionId(byRate[0])) ?? min;
  const last = rates[rates.length - 1];
  const lo = rates.length > 1 ? (uniformBopPercent(table, optionId(byRate.at(-1)!)) ?? min) : min;
  const from = Math.max(lo, min);
  const to = Math.max(hi, from);
  const n = Math.max(1, Math.round(count));
  const percents =
    n === 1 || to === from
      ? [to]
      : Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
  const span =
    rates.length > 1
      ? `uniform QAF rates ${last} to ${rates[0]} at ${at} bits`
      : `the cheapest allocation to uniform QAF rate ${rates[0]} at ${at} bits`;
  return { percents, span };
}
