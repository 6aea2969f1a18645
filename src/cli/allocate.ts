// `qaf allocate MODEL.onnx --sensitivity TABLE.json --budget bops=5% -o ALLOC.json`: per layer
// the option (QAF rate and bits, PTQ bits, or keep) whose summed sensitivity is smallest within
// the budget (src/core/allocate/budget.ts); `qaf compress --allocation ALLOC.json` applies it.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  allocateForBudget,
  type BudgetAllocation,
  BudgetError,
  formatAllocation,
  type Objective,
  parseBudgets,
  parseSensitivityTable,
  validateAllocation,
} from '../core/allocate/index.ts';
import { prepareModel } from '../core/pipeline/prepare.ts';
import { sha256Hex } from '../core/sweep/configKey.ts';
import { measureBudgetLatency } from './latencyBudget.ts';
import {
  formatBytes,
  formatTable,
  maxInputBytesOption,
  maxInputBytesUsage,
  parseByteSize,
  parseCommandArgs,
  readInputFile,
  UsageError,
} from './util.ts';

export const allocateUsage = `usage: qaf allocate MODEL.onnx --sensitivity TABLE.json --budget bops=5%|size=120KB[,size=...] -o ALLOC.json
                    [--objective score|kl|agreement|output] [--json]

Chooses per layer one option of the sensitivity table so that the summed sensitivity is
smallest and the whole model stays within the budget (a multiple-choice knapsack, solved
exactly); \`qaf compress MODEL.onnx --allocation ALLOC.json -o OUT.onnx\` then compresses it.

  --sensitivity FILE  the table \`qaf sensitivity\` wrote for this model
  --budget B          bops=P% (BOPs as % of the float model's), bops=N, or size=S with S in
                      B, KB (1000 B), KiB (1024 B), MB, MiB: the model's weights as the file
                      stores them (codes in INT4/INT8 containers, so 5-7 bits cost 8; scales),
                      or latency=T (ms, s, or % of the original's time; the table's layers are
                      timed alone in onnxruntime-web first; compress with --weight-form load);
                      a second of another kind after a comma (bops=5%,size=120KB) is met too
                      (a penalty on its cost, then one layer at a time: feasible, not proven
                      optimal)
  --objective O       summed squared relative error of the model's scores (default), KL,
                      disagreement, or squared relative output error of the layer
  -o, --output FILE   the allocation (JSON: global settings + per-layer overrides)
  --json              print the choices and totals as one JSON object
${maxInputBytesUsage}`;

const options = {
  sensitivity: { type: 'string' },
  budget: { type: 'string' },
  objective: { type: 'string' },
  output: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...maxInputBytesOption,
} as const;

export function allocationSummary(result: BudgetAllocation): string {
  const rows = result.choices.map((c) => [
    c.layer,
    c.option.id,
    String(c.option.rank || '-'),
    c.option.scoreError.toFixed(4),
    (1000 * c.option.kl).toFixed(3),
    c.option.outputError.toFixed(3),
  ]);
  const table = formatTable(
    ['layer', 'option', 'rank', 'score err', 'KL x1000', 'out err'],
    rows,
    new Set([2, 3, 4, 5]),
  );
  const t = result.totals;
  const s = result.solver;
  return [
    table,
    '',
    `BOPs ${t.bopPercent.toFixed(3)} % of float, weights ${formatBytes(t.storedBytes)} stored ` +
      `(${formatBytes(t.weightBytes)} ideal)` +
      (t.latencyMs === undefined ? '' : `, predicted latency ${t.latencyMs.toFixed(2)} ms`) +
      '; ' +
      `summed over layers: objective ${result.predicted.value.toFixed(4)}, KL ${result.predicted.kl.toFixed(4)}`,
    `solver: ${s.exact ? 'optimal' : `within ${(s.value - s.lowerBound).toExponential(2)} of optimal`}, ` +
      `${s.nodes} nodes, ${s.ms.toFixed(1)} ms`,
  ].join('\n');
}

export async function allocateCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('allocate', argv, options);
  if (v.help) {
    console.log(allocateUsage);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`allocate: expected one MODEL.onnx, got ${positionals.length}`);
  }
  if (!v.sensitivity) throw new UsageError('allocate: --sensitivity TABLE.json is required');
  if (!v.budget) throw new UsageError('allocate: --budget is required (bops=5% or size=120KB)');
  if (!v.output) throw new UsageError('allocate: -o ALLOC.json is required');
  const names: Record<string, Objective> = {
    score: 'scoreError',
    kl: 'kl',
    agreement: 'agreement',
    output: 'outputError',
  };
  const objective = names[v.objective ?? 'score'];
  if (!objective) {
    throw new UsageError('allocate: --objective must be score, kl, agreement or output');
  }
  let budgets: ReturnType<typeof parseBudgets>;
  try {
    budgets = parseBudgets(v.budget);
  } catch (err) {
    throw new UsageError(`allocate: ${(err as Error).message}`);
  }
  const maxBytes = parseByteSize('max-input-bytes', v['max-input-bytes']);
  const modelBytes = readInputFile(positionals[0], 'model file', maxBytes);
  const text = new TextDecoder().decode(
    readInputFile(v.sensitivity, 'sensitivity table', maxBytes),
  );
  const table = parseSensitivityTable(text);
  const modelSha256 = await sha256Hex(modelBytes);
  if (table.modelSha256 !== modelSha256) {
    throw new UsageError(
      `allocate: ${v.sensitivity} was measured on another model than ${positionals[0]}`,
    );
  }
  const prepared = await prepareModel(modelBytes);
  // A latency budget: the table's layers timed alone now (weights as --weight-form load writes them).
  const { budget, also } = budgets;
  const latency =
    budget.kind === 'latency' || also?.kind === 'latency'
      ? await measureBudgetLatency(prepared, table, {
          command: 'allocate',
          log: v.json ? null : (line) => process.stderr.write(`${line}\n`),
        })
      : undefined;
  let result: BudgetAllocation;
  try {
    result = allocateForBudget(table, budget, { objective, latency, also });
  } catch (err) {
    if (err instanceof BudgetError) throw new UsageError(`allocate: ${err.message}`);
    throw err;
  }
  if (result.choices.every((c) => c.option.option === 'keep')) {
    throw new UsageError(
      `allocate: within ${v.budget} every layer is best kept as it is ` +
        `(${result.totals.bopPercent.toFixed(3)} % BOPs): nothing to compress; lower the budget`,
    );
  }
  validateAllocation(prepared.layers, result.allocation);
  // The file names its model, so `qaf compress --allocation` refuses it for another.
  const model = { sha256: modelSha256, file: basename(positionals[0]) };
  writeFileSync(v.output, formatAllocation(result.allocation, model));
  if (v.json) {
    console.log(
      JSON.stringify({
        allocation: result.allocation,
        choices: result.choices.map((c) => ({
          layer: c.layer,
          option: c.option.id,
          rank: c.option.rank,
        })),
        totals: result.totals,
        predicted: result.predicted,
        solver: result.solver,
      }),
    );
  } else console.log(`${allocationSummary(result)}\nwrote ${v.output}`);
  return 0;
}
