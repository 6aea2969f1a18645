// From a sensitivity table and a budget to an allocation: the budget (BOP % of the float model,
// BOPs, or the weight bytes the file stores for the whole model) minus what the layers outside the table cost,
// handed to the multiple-choice knapsack solver with one group per layer.
import { type LatencyTable, latencyKey, layerLatencyMs } from '../cost/latencyTable.ts';
import type { Allocation, JobSettings } from '../factor/modelJobs.ts';
import { DEFAULT_QAF_SCALES } from '../factor/types.ts';
import { FLOAT_BITS } from '../util/units.ts';
import { type LayerOption, optionId } from './options.ts';
import { BudgetUnreachableError, type KnapsackSolution, solveMultipleChoice } from './solver.ts';
import type { OptionSensitivity, SensitivityTable } from './table.ts';

export type BudgetKind = 'bops' | 'size' | 'latency';

/**
 * A limit on the whole model: BOPs (absolute, or `percent` of the float model's), bytes, or
 * measured latency (ms per call, or `percent` of the original model's; needs a latency table,
 * src/core/cost/latencyTable.ts).
 */
export type Budget =
  | { kind: 'bops'; percent: number }
  | { kind: 'bops'; bops: number }
  | { kind: 'size'; bytes: number }
  | { kind: 'latency'; ms: number }
  | { kind: 'latency'; percent: number };

/**
 * What the solver minimises, summed over layers: the squared relative error of the model's
 * scores (default), KL, disagreement, or the squared relative output error of the layer.
 * The default is the one whose single-layer numbers added up best: on ResNet-20 at r2 w4's
 * BOPs (full test set, 256 images measured) one run gave score error +0.7 points over uniform,
 * output error +0.5 and KL +0.0 (on a few hundred confident training images the KL rests on a
 * handful of images, and the solver then favours options measured lucky). bench:allocate
 * reports the current figures.
 */
export type Objective = 'kl' | 'agreement' | 'scoreError' | 'outputError';

/** A budget no choice of options meets; `smallest` is the lowest reachable value, same unit. */
export class BudgetError extends RangeError {
  override name = 'BudgetError';
  constructor(
    message: string,
    readonly smallest: number,
  ) {
    super(message);
  }
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * 'bops=5%', 'bops=1.2e9', 'size=120KB' (KB = 1000 B, KiB = 1024 B), 'size=90000',
 * 'latency=8ms', 'latency=90%' (of the original model's measured time).
 */
export function parseBudget(text: string): Budget {
  const m = /^\s*(bops|size|latency)\s*=\s*([0-9.eE+-]+)\s*([a-zA-Z%]*)\s*$/.exec(text);
  const value = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `budget "${text}": write bops=5% (or bops=N), size=120KB (B, KB, KiB, MB) or latency=8ms (or latency=90%)`,
    );
  }
  const unit = m[3].toLowerCase();
  if (m[1] === 'latency') {
    if (unit === '%') return { kind: 'latency', percent: value };
    if (unit === 'ms') return { kind: 'latency', ms: value };
    if (unit === 's') return { kind: 'latency', ms: value * 1000 };
    throw new RangeError(`budget "${text}": latency takes ms, s or % (of the original model's)`);
  }
  if (m[1] === 'bops') {
    if (unit === '%') return { kind: 'bops', percent: value };
    if (unit === '') return { kind: 'bops', bops: value };
    throw new RangeError(`budget "${text}": BOPs take % or no unit`);
  }
  const scale = SIZE_UNITS[unit || 'b'];
  if (!scale) throw new RangeError(`budget "${text}": size units are B, KB, KiB, MB, MiB, GB`);
  return { kind: 'size', bytes: value * scale };
}

/** 'bops=5%' or 'bops=5%,size=120KB': a budget and, after a comma, a second of another kind. */
export function parseBudgets(text: string): { budget: Budget; also?: Budget } {
  const parts = text.split(',');
  if (parts.length > 2)
    throw new RangeError(`budget "${text}": at most two, e.g. bops=5%,size=120KB`);
  const budget = parseBudget(parts[0]);
  if (parts.length === 1) return { budget };
  const also = parseBudget(parts[1]);
  if (also.kind === budget.kind) {
    throw new RangeError(`budget "${text}": the two budgets must be of different kinds`);
  }
  return { budget, also };
}

export function formatBudget(budget: Budget): string {
  if (budget.kind === 'latency')
    return 'percent' in budget ? `latency=${budget.percent}%` : `latency=${budget.ms}ms`;
  if ('percent' in budget) return `bops=${budget.percent}%`;
  return 'bops' in budget ? `bops=${budget.bops}` : `size=${budget.bytes}B`;
}

/** An option's cost in the budget's unit; latency from the table (RangeError if not measured). */
function costOf(
  layer: string,
  o: OptionSensitivity,
  kind: BudgetKind,
  latency?: LatencyTable,
): number {
  if (kind === 'latency') {
    if (!latency) throw new RangeError('a latency budget needs a latency table');
    const form = o.option === 'keep' ? 'keep' : { rank: o.rank, bits: o.option.bits };
    return layerLatencyMs(latency, layer, latencyKey(form, latency.actBits));
  }
  return kind === 'bops' ? o.bops : storedBytes(o);
}

/**
 * What a size budget counts: the weights as the file stores them (codes in their containers,
 * scales), so a 5-bit option costs what an 8-bit one does. Old tables: the ideal bytes.
 */
export function storedBytes(o: Pick<OptionSensitivity, 'weightBytes' | 'storedBytes'>): number {
  return o.storedBytes ?? o.weightBytes;
}

function objectiveOf(o: OptionSensitivity, objective: Objective): number {
  if (objective === 'kl') return o.kl;
  if (objective === 'agreement') return 1 - o.agreement;
  if (objective === 'scoreError') return o.scoreError ** 2;
  return o.outputError ** 2;
}

/**
 * What a latency budget cannot change: the rest of the graph plus the layers of the latency
 * table that the sensitivity table leaves out (they run as 'keep').
 */
function fixedLatencyMs(table: SensitivityTable, latency: LatencyTable): number {
  const inTable = new Set(table.layers.map((l) => l.name));
  return latency.layers
    .filter((l) => !inTable.has(l.name))
    .reduce((s, l) => s + layerLatencyMs(latency, l.name, 'keep'), latency.restMs);
}

function latencyOf(latency: LatencyTable | undefined): LatencyTable {
  if (!latency) {
    throw new RangeError(
      'a latency budget needs the layers timed: measure a latency table (qaf compress --budget latency=... does)',
    );
  }
  return latency;
}

/** 8-bit activations run other kernels: a table timed at other bits predicts the wrong times. */
function checkLatencyBits(table: SensitivityTable, latency: LatencyTable | undefined): void {
  const timed = latency?.actBits ?? FLOAT_BITS;
  if (latency && timed !== table.actBits) {
    throw new RangeError(
      `the latency table was timed with ${timed}-bit activations, the sensitivity table's are ${table.actBits}-bit: time the layers again`,
    );
  }
}

/** The budget's limit on the layers of the table, in BOPs, bytes or ms (the rest is fixed). */
function tableLimit(
  table: SensitivityTable,
  budget: Budget,
  latency?: LatencyTable,
): { kind: BudgetKind; limit: number } {
  checkLatencyBits(table, latency);
  if (budget.kind === 'latency') {
    const t = latencyOf(latency);
    const ms = 'percent' in budget ? (budget.percent / 100) * t.modelMs : budget.ms;
    return { kind: 'latency', limit: ms - fixedLatencyMs(table, t) };
  }
  if (budget.kind === 'size')
    return { kind: 'size', limit: budget.bytes - storedBytes(table.fixed) };
  const bops = 'percent' in budget ? (budget.percent / 100) * table.floatBops : budget.bops;
  return { kind: 'bops', limit: bops - table.fixed.bops };
}

/** The whole model's cost in the budget's own unit (% for a BOP % or latency % budget). */
function inBudgetUnit(
  table: SensitivityTable,
  budget: Budget,
  tableCost: number,
  latency?: LatencyTable,
): number {
  if (budget.kind === 'latency') {
    const t = latencyOf(latency);
    const ms = tableCost + fixedLatencyMs(table, t);
    return 'percent' in budget ? (100 * ms) / t.modelMs : ms;
  }
  if (budget.kind === 'size') return tableCost + storedBytes(table.fixed);
  const bops = tableCost + table.fixed.bops;
  return 'percent' in budget ? (100 * bops) / table.floatBops : bops;
}

export interface BudgetAllocation {
  allocation: Allocation;
  /** Per layer of the table, the chosen option. */
  choices: { layer: string; option: OptionSensitivity }[];
  /** Summed sensitivities of the choice: the solver's prediction. */
  predicted: { kl: number; disagreement: number; value: number };
  /** The whole model under the choice. */
  /** latencyMs: the latency table's prediction for the choice (when a table was given). */
  /** weightBytes: ideal; storedBytes: as the file stores them (what a size budget counts). */
  totals: {
    bops: number;
    bopPercent: number;
    weightBytes: number;
    storedBytes: number;
    latencyMs?: number;
  };
  solver: Omit<KnapsackSolution, 'choice'> & { ms: number };
}

export interface AllocateOptions {
  objective?: Objective;
  maxNodes?: number;
  /**
   * A second limit of another kind (`bops=5%,size=120KB`): BOPs count 5-7-bit arithmetic as such
   * while the file stores those codes in 8-bit containers, so a BOP budget alone can pick a
   * larger file. Met by a Lagrangian penalty on the second cost (searched by bisection, each
   * step the exact solver): feasible, not proven optimal (`solver.exact` is then false).
   */
  also?: Budget;
  /** Measured layer times: needed by a latency budget, and reported for any budget. */
  latency?: LatencyTable;
}

/** Solves for the allocation of smallest summed sensitivity within `budget`. */
export function allocateForBudget(
  table: SensitivityTable,
  budget: Budget,
  options: AllocateOptions = {},
): BudgetAllocation {
  const objective = options.objective ?? 'scoreError';
  const latency = options.latency;
  const { kind, limit } = tableLimit(table, budget, latency);
  const groups = table.layers.map((l) =>
    l.options.map((o) => ({
      cost: costOf(l.name, o, kind, latency),
      value: objectiveOf(o, objective),
    })),
  );
  const started = performance.now();
  let solution: KnapsackSolution;
  try {
    solution = options.also
      ? solveWithSecondLimit(table, groups, limit, budget, options.also, options)
      : solveMultipleChoice(groups, limit, { maxNodes: options.maxNodes });
  } catch (err) {
    if (!(err instanceof BudgetUnreachableError)) throw err;
    const smallest = inBudgetUnit(table, budget, err.minCost, latency);
    throw new BudgetError(
      `budget ${formatBudget(budget)} cannot be met: the smallest reachable is ` +
        `${describeAmount(budget, smallest)} (every layer at its cheapest option)`,
      smallest,
    );
  }
  const ms = performance.now() - started;
  const choices = table.layers.map((l, g) => ({
    layer: l.name,
    option: l.options[solution.choice[g]],
  }));
  const bops = table.fixed.bops + choices.reduce((s, c) => s + c.option.bops, 0);
  const latencyMs =
    latency &&
    fixedLatencyMs(table, latency) +
      choices.reduce((s, c) => s + costOf(c.layer, c.option, 'latency', latency), 0);
  const { choice: _, ...rest } = solution;
  return {
    allocation: allocationFromChoices(table, choices),
    choices,
    predicted: {
      kl: choices.reduce((s, c) => s + c.option.kl, 0),
      disagreement: choices.reduce((s, c) => s + (1 - c.option.agreement), 0),
      value: solution.value,
    },
    totals: {
      bops,
      bopPercent: (100 * bops) / table.floatBops,
      weightBytes: table.fixed.weightBytes + choices.reduce((s, c) => s + c.option.weightBytes, 0),
      storedBytes:
        storedBytes(table.fixed) + choices.reduce((s, c) => s + storedBytes(c.option), 0),
      ...(latencyMs !== undefined && { latencyMs }),
    },
    solver: { ...rest, ms },
  };
}

/**
 * The primary budget solved exactly with `value + mu * cost2`, mu bisected to the smallest that
 * meets the second limit; the best feasible choice by true value is kept.
 */
function solveWithSecondLimit(
  table: SensitivityTable,
  groups: { cost: number; value: number }[][],
  limit: number,
  budget: Budget,
  also: Budget,
  options: AllocateOptions,
): KnapsackSolution {
  const second = tableLimit(table, also, options.latency);
  if (second.kind === tableLimit(table, budget, options.latency).kind) {
    throw new RangeError(`a second budget must be of another kind than ${formatBudget(budget)}`);
  }
  const cost2 = table.layers.map((l) =>
    l.options.map((o) => costOf(l.name, o, second.kind, options.latency)),
  );
  const spent2 = (choice: number[]) => choice.reduce((s, c, g) => s + cost2[g][c], 0);
  const solveAt = (mu: number) =>
    solveMultipleChoice(
      groups.map((items, g) =>
        items.map((it, i) => ({ ...it, value: it.value + mu * cost2[g][i] })),
      ),
      limit,
      { maxNodes: options.maxNodes },
    );
  const trueValue = (choice: number[]) => choice.reduce((s, c, g) => s + groups[g][c].value, 0);
  const slack = 1e-9 * Math.max(1, Math.abs(second.limit));
  const first = solveAt(0);
  if (spent2(first.choice) <= second.limit + slack) return first;
  // mu in value per unit of the second cost: start where it weighs as much as the values do.
  const values = groups.flat().reduce((s, it) => s + Math.abs(it.value), 0);
  const costs = cost2.flat().reduce((s, c) => s + Math.abs(c), 0);
  let lo = 0;
  let hi = costs > 0 ? values / costs : 1;
  let best: KnapsackSolution | null = null;
  for (let i = 0; i < 60; i++) {
    const s = solveAt(hi);
    if (spent2(s.choice) <= second.limit + slack) {
      best = s;
      break;
    }
    lo = hi;
    hi *= 4;
  }
  if (!best) {
    const smallest = inBudgetUnit(table, also, spent2(solveAt(hi).choice), options.latency);
    throw new BudgetError(
      `budgets ${formatBudget(budget)} and ${formatBudget(also)} cannot both be met: within the ` +
        `first, the second reaches ${describeAmount(also, smallest)} at the least`,
      smallest,
    );
  }
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    const s = solveAt(mid);
    if (spent2(s.choice) <= second.limit + slack) {
      hi = mid;
      if (trueValue(s.choice) < trueValue(best.choice)) best = s;
    } else lo = mid;
  }
  // The penalty moves identical layers together (a duality gap): improve one layer at a time
  // while both limits hold.
  const choice = [...best.choice];
  let c1 = choice.reduce((s, c, g) => s + groups[g][c].cost, 0);
  let c2 = spent2(choice);
  const slack1 = 1e-9 * Math.max(1, Math.abs(limit));
  for (;;) {
    let gain = 0;
    let move: [number, number] | null = null;
    for (let g = 0; g < groups.length; g++) {
      const now = choice[g];
      for (let i = 0; i < groups[g].length; i++) {
        const d = groups[g][now].value - groups[g][i].value;
        if (d <= gain) continue;
        const ok1 = c1 - groups[g][now].cost + groups[g][i].cost <= limit + slack1;
        const ok2 = c2 - cost2[g][now] + cost2[g][i] <= second.limit + slack;
        if (ok1 && ok2) {
          gain = d;
          move = [g, i];
        }
      }
    }
    if (!move) break;
    const [g, i] = move;
    c1 += groups[g][i].cost - groups[g][choice[g]].cost;
    c2 += cost2[g][i] - cost2[g][choice[g]];
    choice[g] = i;
  }
  // Without the second limit the optimum is `first`: a lower bound on this one's.
  return {
    ...best,
    choice,
    value: trueValue(choice),
    cost: c1,
    lowerBound: first.value,
    exact: false,
  };
}

function describeAmount(budget: Budget, amount: number): string {
  if (budget.kind === 'latency')
    return 'percent' in budget ? `${amount.toFixed(1)} %` : `${amount.toFixed(3)} ms`;
  if (budget.kind === 'size') return `${Math.ceil(amount)} bytes`;
  return 'percent' in budget ? `${amount.toFixed(3)} %` : `${Math.ceil(amount)} BOPs`;
}

/** The smallest cost any allocation over the table reaches, in the budget's unit. */
export function smallestReachable(
  table: SensitivityTable,
  budget: Budget,
  latency?: LatencyTable,
): number {
  const { kind } = tableLimit(table, budget, latency);
  const min = table.layers.reduce(
    (s, l) => s + Math.min(...l.options.map((o) => costOf(l.name, o, kind, latency))),
    0,
  );
  return inBudgetUnit(table, budget, min, latency);
}

/** The smallest and largest cost allocations over the table reach, in the budget's unit. */
export function budgetSpan(
  table: SensitivityTable,
  budget: Budget,
  latency?: LatencyTable,
): { min: number; max: number } {
  const { kind } = tableLimit(table, budget, latency);
  const sum = (pick: (costs: number[]) => number) =>
    table.layers.reduce(
      (s, l) => s + pick(l.options.map((o) => costOf(l.name, o, kind, latency))),
      0,
    );
  return {
    min: inBudgetUnit(
      table,
      budget,
      sum((xs) => Math.min(...xs)),
      latency,
    ),
    max: inBudgetUnit(
      table,
      budget,
      sum((xs) => Math.max(...xs)),
      latency,
    ),
  };
}

/**
 * The allocation of a choice: the most common factorizing choice becomes the global settings,
 * every other layer an override (or 'keep'); the selection names the table's layers.
 */
export function allocationFromChoices(
  table: Pick<SensitivityTable, 'preset' | 'seed' | 'scales'> & {
    layers: readonly { name: string }[];
  },
  choices: readonly { layer: string; option: Pick<OptionSensitivity, 'option' | 'rank'> }[],
): Allocation {
  const counts = new Map<string, { option: LayerOption; n: number }>();
  for (const c of choices) {
    if (c.option.option === 'keep') continue;
    const id = optionId(c.option.option);
    const entry = counts.get(id) ?? { option: c.option.option, n: 0 };
    entry.n++;
    counts.set(id, entry);
  }
  const common = [...counts.values()].sort((a, b) => b.n - a.n)[0]?.option;
  const base = common && common !== 'keep' ? common : { method: 'admm' as const, rate: 2, bits: 4 };
  // QAF's scales travel with the allocation when the table was measured with other than the
  // default, so the build solves what was measured.
  const scales = table.scales && table.scales !== DEFAULT_QAF_SCALES ? table.scales : undefined;
  const settings: JobSettings = {
    ...base,
    preset: table.preset,
    seed: table.seed,
    ...(scales && { scales }),
  };
  const overrides: Record<string, Partial<JobSettings> | 'keep'> = {};
  for (const c of choices) {
    const option = c.option.option;
    if (option === 'keep') overrides[c.layer] = 'keep';
    else if (optionId(option) !== optionId(base))
      overrides[c.layer] = overrideFor(base, option, c.option.rank);
  }
  return {
    settings,
    selection: { names: table.layers.map((l) => l.name) },
    ...(Object.keys(overrides).length && { overrides }),
  };
}

/**
 * The override that turns the global settings into `option` at its resolved `rank`. JSON drops
 * undefined fields, so a global rank or per-channel flag the option lacks is overwritten, not
 * cleared.
 */
function overrideFor(
  base: Exclude<LayerOption, 'keep'>,
  option: Exclude<LayerOption, 'keep'>,
  rank: number,
): Partial<JobSettings> {
  const out: Partial<JobSettings> = { method: option.method, bits: option.bits };
  if (option.rate !== undefined) out.rate = option.rate;
  if (option.rank !== undefined) out.rank = option.rank;
  else if (base.rank !== undefined && rank > 0) out.rank = rank;
  if (option.perChannel !== undefined || base.perChannel)
    out.perChannel = option.perChannel ?? false;
  return out;
}
