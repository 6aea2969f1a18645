// The budget solver (issue #15, item 2): one option per group (layer) so that the summed value
// (sensitivity) is smallest while the summed cost stays within the budget: the multiple-choice
// knapsack. Lagrangian relaxation first: on each group's lower convex hull, the LP optimum is
// the greedy walk along hull segments by slope (Sinha and Zoltners 1979), which also gives the
// multiplier (the critical slope) and a feasible greedy start. Then an exact depth-first branch
// and bound over the non-dominated options, each node bounded by the same LP on the groups left.
// If `maxNodes` runs out first the answer is the best found, `exact` is false, and it is at most
// `value - lowerBound` above the optimum (lowerBound: the root LP, a valid bound).

export interface KnapsackItem {
  cost: number;
  value: number;
}

export interface KnapsackSolution {
  /** Per group, the index of the chosen item in the group as given. */
  choice: number[];
  value: number;
  cost: number;
  /** A lower bound on the optimum (the optimum itself when exact). */
  lowerBound: number;
  exact: boolean;
  /** Branch-and-bound nodes visited. */
  nodes: number;
  /** The Lagrange multiplier of the budget at the LP optimum (value per unit cost). */
  lambda: number;
}

/** No choice fits: even the cheapest option of every group costs more than the budget. */
export class BudgetUnreachableError extends RangeError {
  override name = 'BudgetUnreachableError';
  constructor(
    readonly budget: number,
    readonly minCost: number,
  ) {
    super(`the budget ${budget} is below the smallest reachable cost ${minCost}`);
  }
}

interface Point {
  cost: number;
  value: number;
  index: number;
}

interface Segment {
  depth: number;
  dc: number;
  dv: number;
  slope: number;
}

/** Items sorted by cost, keeping only those strictly better than every cheaper one. */
function undominated(items: readonly KnapsackItem[]): Point[] {
  const sorted = items
    .map((it, index) => ({ cost: it.cost, value: it.value, index }))
    .filter((p) => Number.isFinite(p.cost) && Number.isFinite(p.value))
    .sort((a, b) => a.cost - b.cost || a.value - b.value);
  const out: Point[] = [];
  for (const p of sorted) if (!out.length || p.value < out[out.length - 1].value) out.push(p);
  return out;
}

/** The lower convex hull of points sorted by cost with falling values. */
function lowerHull(points: readonly Point[]): Point[] {
  const hull: Point[] = [];
  for (const p of points) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      // b lies on or above the chord a -> p: not a hull vertex.
      if ((b.value - a.value) * (p.cost - a.cost) >= (p.value - a.value) * (b.cost - a.cost)) {
        hull.pop();
      } else break;
    }
    hull.push(p);
  }
  return hull;
}

class Relaxation {
  /** Per depth d: cheapest costs and values summed over groups d..n-1. */
  private readonly baseCost: Float64Array;
  private readonly baseValue: Float64Array;
  /** Per depth d: the hull segments of groups d..n-1 by slope, and their running sums. */
  private readonly segments: Segment[][];
  private readonly sumCost: Float64Array[];
  private readonly sumValue: Float64Array[];

  constructor(groups: readonly Point[][]) {
    const n = groups.length;
    this.baseCost = new Float64Array(n + 1);
    this.baseValue = new Float64Array(n + 1);
    for (let d = n - 1; d >= 0; d--) {
      this.baseCost[d] = this.baseCost[d + 1] + groups[d][0].cost;
      this.baseValue[d] = this.baseValue[d + 1] + groups[d][0].value;
    }
    const all: Segment[] = [];
    groups.forEach((g, depth) => {
      const hull = lowerHull(g);
      for (let k = 1; k < hull.length; k++) {
        const dc = hull[k].cost - hull[k - 1].cost;
        const dv = hull[k].value - hull[k - 1].value;
        all.push({ depth, dc, dv, slope: dv / dc });
      }
    });
    // Within a group slopes rise along the hull, so this order keeps each group's segments in
    // sequence (equal slopes keep their position: the sort is stable).
    all.sort((a, b) => a.slope - b.slope);
    this.segments = Array.from({ length: n + 1 }, (_, d) => all.filter((s) => s.depth >= d));
    this.sumCost = this.segments.map((list) => runningSum(list, (s) => s.dc));
    this.sumValue = this.segments.map((list) => runningSum(list, (s) => s.dv));
  }

  minCost(depth: number): number {
    return this.baseCost[depth];
  }

  /**
   * The LP optimum over groups depth..n-1 with `budget` (whole segments by slope while they
   * fit, then a fraction of the next), and its critical slope. Binary search on running sums.
   */
  bound(depth: number, budget: number): { value: number; slope: number } {
    const left = budget - this.baseCost[depth];
    if (left < 0) return { value: Number.POSITIVE_INFINITY, slope: 0 };
    const sumCost = this.sumCost[depth];
    const segments = this.segments[depth];
    // The largest k with sumCost[k] <= left (segments 0..k-1 taken whole).
    let lo = 0;
    let hi = segments.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (sumCost[mid] <= left) lo = mid;
      else hi = mid - 1;
    }
    const value = this.baseValue[depth] + this.sumValue[depth][lo];
    if (lo === segments.length) return { value, slope: 0 };
    const s = segments[lo];
    return { value: value + (s.dv * (left - sumCost[lo])) / s.dc, slope: s.slope };
  }
}

function runningSum(list: readonly Segment[], of: (s: Segment) => number): Float64Array {
  const out = new Float64Array(list.length + 1);
  for (let i = 0; i < list.length; i++) out[i + 1] = out[i] + of(list[i]);
  return out;
}

export interface SolveOptions {
  /** Branch-and-bound node limit (default 2,000,000); beyond it the answer is bounded, not exact. */
  maxNodes?: number;
}

/** Minimises the summed value of one item per group with summed cost <= budget. */
export function solveMultipleChoice(
  groups: readonly (readonly KnapsackItem[])[],
  budget: number,
  options: SolveOptions = {},
): KnapsackSolution {
  const points = groups.map(undominated);
  const empty = points.findIndex((p) => p.length === 0);
  if (empty >= 0) throw new RangeError(`group ${empty} has no item with a finite cost and value`);
  // Branch on the groups with the widest value range first: their choice moves the bound most.
  const order = points
    .map((p, g) => ({ g, spread: p[0].value - p[p.length - 1].value }))
    .sort((a, b) => b.spread - a.spread)
    .map((x) => x.g);
  const ordered = order.map((g) => points[g]);
  const relax = new Relaxation(ordered);
  const minCost = relax.minCost(0);
  const slack = 1e-9 * Math.max(1, Math.abs(budget));
  if (minCost > budget + slack) throw new BudgetUnreachableError(budget, minCost);
  const root = relax.bound(0, budget + slack);
  const lambda = -root.slope;

  // Per group, items by reduced cost value + lambda * cost: the Lagrangian's favourite first.
  const tries = ordered.map((g) =>
    [...g].sort((a, b) => a.value + lambda * a.cost - (b.value + lambda * b.cost)),
  );
  const n = ordered.length;
  const current = new Array<Point>(n);
  let best: Point[] | null = null;
  let bestValue = Number.POSITIVE_INFINITY;
  let nodes = 0;
  const maxNodes = options.maxNodes ?? 2_000_000;
  const tolerance = (v: number) => 1e-12 * Math.max(1, Math.abs(v));

  const dive = (depth: number, left: number, acc: number): boolean => {
    if (++nodes > maxNodes) return false;
    if (depth === n) {
      if (acc < bestValue - tolerance(acc)) {
        bestValue = acc;
        best = [...current];
      }
      return true;
    }
    const restMin = relax.minCost(depth + 1);
    for (const item of tries[depth]) {
      const remaining = left - item.cost;
      if (remaining < restMin) continue;
      const bound = acc + item.value + relax.bound(depth + 1, remaining).value;
      if (bound >= bestValue - tolerance(bestValue)) continue;
      current[depth] = item;
      if (!dive(depth + 1, remaining, acc + item.value)) return false;
    }
    return true;
  };
  const exact = dive(0, budget + slack, 0);
  if (!best) throw new Error('solver: no feasible choice found within the node limit');
  const chosen = best as Point[];
  const choice = new Array<number>(n);
  order.forEach((g, depth) => {
    choice[g] = chosen[depth].index;
  });
  const cost = chosen.reduce((s, p) => s + p.cost, 0);
  return {
    choice,
    value: bestValue,
    cost,
    lowerBound: exact ? bestValue : Math.min(bestValue, root.value),
    exact,
    nodes,
    lambda,
  };
}
