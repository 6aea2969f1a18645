// `qaf eval MODEL.onnx --data FILE`: accuracy, agreement, KL and latency in onnxruntime-web.
import { basename } from 'node:path';
import { rangeIndices } from '../core/data/subset.ts';
import type { Dataset, DatasetFormat } from '../core/data/types.ts';
import { type EvalReport, evaluateModel } from '../core/eval/evaluate.ts';
import type { ProgressEvent } from '../core/util/progress.ts';
import {
  type DataLimits,
  dataLimitOptions,
  dataLimitUsage,
  datasetFormat,
  loadDataFile,
  parseDataLimits,
} from './data.ts';
import { evalOutputsCommand, evalOutputsUsage, wantsOutputComparison } from './evalOutputs.ts';
import { parseCommandArgs, readInputFile, UsageError } from './util.ts';

export const evalUsage = `usage: qaf eval MODEL.onnx --data FILE [--format cifar10|zip|npy] [--limit N]
                [--reference ORIGINAL.onnx] [--batch N] [--runs N] [--json] [limits]
       qaf eval MODEL.onnx --inputs FILE... --reference ORIGINAL.onnx [--threshold T] [--json]

  --data FILE        evaluation data: CIFAR-10 .bin, .zip of images (one folder per class,
                     or all at the top level for agreement only), or .npy of inputs
  --format F         cifar10, zip or npy (default: from the file extension)
  --limit N          evaluate the first N images only
  --reference FILE   original model: adds top-1 agreement, KL and its latency
  --batch N          images per inference for models with a dynamic batch (default 100)
  --runs N           timed single-image latency runs per model (default 30)
  --json             print one JSON object instead of the summary
${evalOutputsUsage}
${dataLimitUsage}`;

export interface EvalArgs {
  model: string;
  data: string;
  format: DatasetFormat;
  limit: number | null;
  reference: string | null;
  batch: number;
  runs: number;
  json: boolean;
  limits: DataLimits;
}

function positive(name: string, n: number | null): number | null {
  if (n === 0) throw new UsageError(`eval: --${name} 0 would evaluate no image; give 1 or more`);
  return n;
}

function wholeNumber(name: string, value: string | undefined, fallback: number | null) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`eval: --${name} must be a whole number (see qaf eval --help)`);
  }
  return n;
}

const evalOptions = {
  data: { type: 'string' },
  format: { type: 'string' },
  limit: { type: 'string' },
  reference: { type: 'string' },
  batch: { type: 'string' },
  runs: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...dataLimitOptions,
} as const;

/** Parsed arguments, or null for --help. */
export function parseEvalArgs(argv: string[]): EvalArgs | null {
  const { values, positionals } = parseCommandArgs('eval', argv, evalOptions);
  if (values.help) return null;
  if (positionals.length !== 1) {
    throw new UsageError(
      `eval: expected one MODEL.onnx, got ${positionals.length} (see qaf eval --help)`,
    );
  }
  if (!values.data)
    throw new UsageError(
      'eval: --data FILE is required, or --inputs FILE... with --reference (see qaf eval --help)',
    );
  const format = datasetFormat('eval', values.data, values.format, 'format');
  return {
    model: positionals[0],
    data: values.data,
    format,
    limit: positive('limit', wholeNumber('limit', values.limit, null)),
    reference: values.reference ?? null,
    batch: Math.max(1, wholeNumber('batch', values.batch, 100) ?? 100),
    runs: wholeNumber('runs', values.runs, 30) ?? 30,
    json: values.json ?? false,
    limits: parseDataLimits(values),
  };
}

/** The --json shape, fixed by the issue: one object, nulls where a metric does not apply. */
export function evalJson(report: EvalReport): string {
  return JSON.stringify({
    accuracy: report.accuracy,
    top5: report.top5,
    agreement: report.agreement,
    klDiv: report.klDiv,
    images: report.images,
    latencyMs: report.latencyMs
      ? { median: report.latencyMs.median, p90: report.latencyMs.p90 }
      : null,
    threads: report.threads,
  });
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)} %`);
const ms = (x: { median: number; p90: number } | null) =>
  x ? `median ${x.median.toFixed(2)} ms, p90 ${x.p90.toFixed(2)} ms` : '-';

export function evalSummary(args: EvalArgs, dataset: Dataset, report: EvalReport): string {
  const classes = dataset.classNames ? `${dataset.classNames.length} classes` : 'unlabelled';
  const lines = [
    `model       ${basename(args.model)}`,
    `data        ${basename(args.data)} (${args.format}, ${report.images} of ${dataset.count} images, ${classes})`,
    `top-1       ${pct(report.accuracy)}`,
    `top-5       ${pct(report.top5)}`,
  ];
  if (args.reference) {
    lines.push(`reference   ${basename(args.reference)}`);
    lines.push(`agreement   ${pct(report.agreement)}`);
    lines.push(`KL          ${report.klDiv === null ? '-' : report.klDiv.toExponential(3)} nats`);
  }
  lines.push(
    `latency     ${ms(report.latencyMs)} (batch ${report.batch}, ${report.latencyMs?.runs ?? 0} runs)`,
  );
  if (args.reference) lines.push(`  reference ${ms(report.referenceLatencyMs)}`);
  lines.push(
    `runtime     ${report.runtime}, ${report.threads} thread${report.threads === 1 ? '' : 's'}`,
  );
  return lines.join('\n');
}

function progressPrinter(enabled: boolean): ((e: ProgressEvent) => void) | undefined {
  if (!enabled) return undefined;
  return (e) => {
    process.stderr.write(`\r${e.status} ${(e.progress * 100).toFixed(0)} %   `);
    if (e.status === 'done') process.stderr.write('\n');
  };
}

/** Entry point for the command table; main.ts turns a throw into one stderr line and exit 1. */
export async function evalCommand(argv: string[]): Promise<number> {
  if (wantsOutputComparison(argv) && !argv.includes('--help') && !argv.includes('-h')) {
    return evalOutputsCommand(argv);
  }
  const args = parseEvalArgs(argv);
  if (!args) {
    console.log(evalUsage);
    return 0;
  }
  const maxBytes = args.limits.maxInputBytes;
  const modelBytes = readInputFile(args.model, 'model', maxBytes);
  const referenceBytes = args.reference
    ? readInputFile(args.reference, 'reference model', maxBytes)
    : undefined;
  const { dataset } = await loadDataFile(args.data, args.format, 'data', args.limits);
  const count = args.limit === null ? dataset.count : Math.min(args.limit, dataset.count);
  const report = await evaluateModel({
    modelBytes,
    referenceBytes,
    dataset,
    indices: rangeIndices(count),
    batchSize: args.batch,
    latencyRuns: args.runs,
    onProgress: progressPrinter(!args.json && process.stderr.isTTY === true),
  });
  console.log(args.json ? evalJson(report) : evalSummary(args, dataset, report));
  return 0;
}
