// `qaf eval MODEL.onnx --inputs FILE... --reference ORIGINAL.onnx`: any model against its
// original on the user's arrays (several inputs, any rank), judged output by output: relative L2,
// cosine, max |diff|, SQNR, top-1 agreement for class scores, pixel agreement for maps.
import { basename } from 'node:path';
import { type CompareReport, compareModels } from '../core/eval/compareModels.ts';
import { describeCosine, type OutputMetrics, unjudgeableOutput } from '../core/eval/outputs.ts';
import { readModel } from '../core/onnx/reader.ts';
import { dataLimitOptions, parseDataLimits } from './data.ts';
import { inputArraysUsage, loadInputArrays, splitPaths } from './inputArrays.ts';
import { formatTable, parseCommandArgs, readInputFile, UsageError } from './util.ts';

export const evalOutputsUsage = `
any model, output by output (instead of --data):
  --inputs FILE[,FILE]  ${inputArraysUsage}
                     (audio.npy feeds input "audio"; a one-input model takes any one .npy;
                     samples along the first axis); needs --reference
  --threshold T      probability maps: a pixel is "on" above T (default 0.5)
                     (with --limit N, --batch N for samples per run (default 16), --json)`;

const options = {
  inputs: { type: 'string', multiple: true },
  reference: { type: 'string' },
  threshold: { type: 'string' },
  limit: { type: 'string' },
  batch: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...dataLimitOptions,
} as const;

/** True when the command line asks for the per-output comparison. */
export function wantsOutputComparison(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--inputs' || a.startsWith('--inputs='));
}

function count(flag: string, value: string | undefined, fallback: number | null) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`eval: --${flag} must be a whole number >= 1`);
  return n;
}

// NaN (no cosine: an output all zero) and -Infinity (no SQNR: the reference all zero) read '-',
// and the lines under the table say why in words.
const fixed = (x: number, digits: number) =>
  Number.isFinite(x) ? x.toFixed(digits) : x === Infinity ? 'inf' : '-';
const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)} %`);

const EVAL_HINT = 'give realistic inputs (your own arrays: --inputs)';

/** One sentence per output whose figures the table cannot show as numbers. */
function outputNotes(outputs: readonly OutputMetrics[]): string[] {
  return outputs.flatMap((m) => {
    const flat = unjudgeableOutput(m, EVAL_HINT);
    if (flat) return [`${m.name}: ${flat}`];
    return Number.isFinite(m.cosine) ? [] : [`${m.name}: ${describeCosine(m)}`];
  });
}

export function outputsTable(report: CompareReport): string {
  const rows = report.outputs.map((m: OutputMetrics) => [
    m.name,
    `[${m.dims.join(', ')}]`,
    m.kind,
    fixed(m.relativeL2, 4),
    fixed(m.cosine, 4),
    m.maxAbsDiff.toPrecision(3),
    fixed(m.sqnrDb, 1),
    pct(m.top1Agreement),
    m.pixelAgreement === null ? '-' : `${pct(m.pixelAgreement)} at ${m.threshold}`,
  ]);
  const headers = [
    'output',
    'dims',
    'kind',
    'rel. L2',
    'cosine',
    'max |diff|',
    'SQNR dB',
    'top-1 agree',
    'pixels agree',
  ];
  const table = formatTable(headers, rows, new Set([3, 4, 5, 6]));
  return [table, ...outputNotes(report.outputs)].join('\n');
}

export async function evalOutputsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('eval', argv, options);
  if (positionals.length !== 1) {
    throw new UsageError(
      `eval: expected one MODEL.onnx, got ${positionals.length} (see qaf eval --help)`,
    );
  }
  if (!values.reference) {
    throw new UsageError(
      'eval: --inputs compares the model with its original output by output: give --reference ORIGINAL.onnx',
    );
  }
  const threshold = values.threshold === undefined ? 0.5 : Number(values.threshold);
  if (!Number.isFinite(threshold)) throw new UsageError('eval: --threshold must be a number');
  const limits = parseDataLimits(values);
  const modelBytes = readInputFile(positionals[0], 'model', limits.maxInputBytes);
  const referenceBytes = readInputFile(values.reference, 'reference model', limits.maxInputBytes);
  const data = loadInputArrays(splitPaths(values.inputs) ?? [], readModel(referenceBytes), limits);
  const limit = count('limit', values.limit, null);
  const n = limit === null ? data.count : Math.min(limit, data.count);
  const report = await compareModels({
    modelBytes,
    referenceBytes,
    data,
    indices: Array.from({ length: n }, (_, i) => i),
    batchSize: count('batch', values.batch, 16) ?? 16,
    threshold,
  });
  if (values.json) {
    console.log(
      JSON.stringify({ samples: report.samples, inputs: report.source, outputs: report.outputs }),
    );
  } else {
    console.log(
      `model       ${basename(positionals[0])}\nreference   ${basename(values.reference)}\n` +
        `inputs      ${report.source} (${report.samples} of ${data.count} samples)\n\n${outputsTable(report)}`,
    );
  }
  return 0;
}
