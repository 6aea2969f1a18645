// The budget solver against brute force: on small random instances (odd group and option
// counts, ties, dominated options, integer and real costs) it must find the optimum exactly;
// an unreachable budget names the smallest reachable cost; a node limit gives a stated bound.
import { describe, expect, it } from 'vitest';
import {
  BudgetUnreachableError,
  type KnapsackItem,
  solveMultipleChoice,
} from '../../src/core/allocate/solver.ts';
import { lcg } from '../support/random.ts';

function bruteForce(groups: KnapsackItem[][], budget: number): number {
  let best = Number.POSITIVE_INFINITY;
  const walk = (g: number, cost: number, value: number) => {
    if (cost > budget + 1e-9) return;
    if (g === groups.length) {
      best = Math.min(best, value);
      return;
    }
    for (const it of groups[g]) walk(g + 1, cost + it.cost, value + it.value);
  };
  walk(0, 0, 0);
  return best;
}

function randomInstance(seed: number, integer: boolean) {
  const next = lcg(seed);
  const groupCount = 1 + Math.floor(next() * 6);
  const groups: KnapsackItem[][] = [];
  for (let g = 0; g < groupCount; g++) {
    const size = 1 + Math.floor(next() * 5);
    const group: KnapsackItem[] = [];
    for (let k = 0; k < size; k++) {
      const cost = integer ? Math.floor(next() * 10) : next() * 10;
      // Some ties and duplicates, on purpose.
      const value = next() < 0.2 && group.length ? group[0].value : Math.round(next() * 50) / 10;
      group.push({ cost, value });
    }
    groups.push(group);
  }
  const min = groups.reduce((s, g) => s + Math.min(...g.map((i) => i.cost)), 0);
  const max = groups.reduce((s, g) => s + Math.max(...g.map((i) => i.cost)), 0);
  return { groups, budget: min + next() * (max - min) };
}

describe('solveMultipleChoice', () => {
  it('finds the brute-force optimum on 400 small random instances', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const { groups, budget } = randomInstance(seed, seed % 2 === 0);
      const solution = solveMultipleChoice(groups, budget);
      const expected = bruteForce(groups, budget);
      expect(solution.exact).toBe(true);
      expect(solution.value).toBeCloseTo(expected, 9);
      // The choice is what it claims: one valid item per group, within the budget.
      const cost = solution.choice.reduce((s, k, g) => s + groups[g][k].cost, 0);
      const value = solution.choice.reduce((s, k, g) => s + groups[g][k].value, 0);
      expect(cost).toBeLessThanOrEqual(budget + 1e-9);
      expect(cost).toBeCloseTo(solution.cost, 9);
      expect(value).toBeCloseTo(solution.value, 9);
      expect(solution.lowerBound).toBeLessThanOrEqual(solution.value + 1e-12);
    }
  });

  it('at a budget exactly on an option total, takes it', () => {
    const groups = [
      [
        { cost: 1, value: 5 },
        { cost: 3, value: 1 },
      ],
      [
        { cost: 2, value: 4 },
        { cost: 4, value: 0 },
      ],
    ];
    expect(solveMultipleChoice(groups, 7).choice).toEqual([1, 1]);
    expect(solveMultipleChoice(groups, 5).choice).toEqual([0, 1]);
    expect(solveMultipleChoice(groups, 3).choice).toEqual([0, 0]);
  });

  it('says when the budget is unreachable, with the smallest reachable cost', () => {
    const groups = [
      [
        { cost: 2, value: 1 },
        { cost: 5, value: 0 },
      ],
      [{ cost: 3, value: 2 }],
    ];
    try {
      solveMultipleChoice(groups, 4);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BudgetUnreachableError);
      expect((err as BudgetUnreachableError).minCost).toBe(5);
    }
  });

  it('stopped by its node limit, returns a feasible answer with a valid lower bound', () => {
    // Convex-looking groups with noise (like real sensitivities): many near-ties to branch on.
    const next = lcg(3);
    const groups = Array.from({ length: 50 }, () => {
      const size = 1 + next() * 9;
      const scale = next();
      return Array.from({ length: 20 }, (_, k) => ({
        cost: size * (0.1 + k * 0.2),
        value: scale * Math.exp(-0.3 * k) * (1 + 0.3 * next()),
      }));
    });
    const budget = 300;
    const full = solveMultipleChoice(groups, budget);
    expect(full.exact).toBe(true);
    expect(full.nodes).toBeGreaterThan(200);
    const capped = solveMultipleChoice(groups, budget, { maxNodes: 100 });
    expect(capped.exact).toBe(false);
    expect(capped.cost).toBeLessThanOrEqual(budget + 1e-9);
    expect(capped.value).toBeGreaterThanOrEqual(full.value - 1e-12);
    expect(capped.lowerBound).toBeLessThanOrEqual(full.value + 1e-12);
  });
});
