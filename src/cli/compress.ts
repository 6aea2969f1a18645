// `qaf compress MODEL.onnx --method admm|ftq|ptq|cp (--rate R | --rank N) --bits B ...`:
// compresses the selected layers and prints per-layer errors. compressModel is the reusable
// part (model in, results out) that writing a compressed model builds on.
import {
  type CompressMethod,
  compressLayer,
  type JobSettings,
  type LayerResult,
  type LayerSelection,
  modelLayerJobs,
} from '../core/factor/index.ts';
import type { Kernels } from '../core/kernels/index.ts';
import { loadKernels } from '../core/kernels/index.ts';
import { type OnnxModel, readModel } from '../core/onnx/index.ts';
import {
  compressOutputOptions,
  compressOutputUsage,
  outputSummary,
  parseOutputArgs,
  writeOutput,
} from './compressOutput.ts';
import { formatTable, parseCommandArgs, readInputFile, UsageError } from './util.ts';

export const compressUsage = `usage: qaf compress MODEL.onnx --method admm|ftq|ptq|cp (--rate R | --rank N) --bits B
                    [--preset default|published] [--layers REGEX] [--seed S] [--per-channel] [--json]

  --method M       admm (QAF), ftq (float CP then round), ptq (quantize the weight), cp (float CP)
  --rate R         parameter-reduction rate; rank = floor(IJK / ((I+J+K) R)) per layer
  --rank N         explicit CP rank for every selected layer
  --bits B         weight bits, 2..8
  --preset P       ADMM stopping rules: default (fast) or published (the paper's limits)
  --layers REGEX   only layers whose name or weight name matches (default: all factorizable
                   layers; for ptq all weight layers)
  --seed S         seed for the random parts of the initialisation (default 0)
  --per-channel    ptq: one scale per output channel
  --json           print one JSON object instead of the table`;

export interface CompressModelReport {
  layers: LayerResult[];
  totals: { meanError: number; ms: number };
}

/** Compresses the selected layers of a parsed model, one after another. */
export function compressModel(
  kernels: Kernels,
  model: OnnxModel,
  settings: JobSettings,
  selection: LayerSelection = {},
  onLayer?: (result: LayerResult, index: number, count: number) => void,
): CompressModelReport {
  const jobs = modelLayerJobs(model, settings, selection);
  if (jobs.length === 0) throw new UsageError('compress: no layer matches the selection');
  const layers = jobs.map((job, i) => {
    const result = compressLayer(kernels, job);
    onLayer?.(result, i, jobs.length);
    return result;
  });
  const meanError = layers.reduce((s, r) => s + r.error, 0) / layers.length;
  return { layers, totals: { meanError, ms: layers.reduce((s, r) => s + r.ms, 0) } };
}

export function compressJson(report: CompressModelReport): string {
  return JSON.stringify({
    layers: report.layers.map((r) => ({
      name: r.name,
      method: r.method,
      rank: r.rank,
      bits: r.bits,
      floatCpError: Number.isFinite(r.floatCpError) ? r.floatCpError : null,
      error: r.error,
      iterations: r.iterations,
      ms: Math.round(r.ms),
    })),
    totals: { meanError: report.totals.meanError, ms: Math.round(report.totals.ms) },
  });
}

export function compressTable(report: CompressModelReport): string {
  const rows = report.layers.map((r, i) => [
    String(i + 1),
    r.name,
    r.shape.join('x'),
    r.method,
    String(r.rank),
    String(r.bits),
    Number.isFinite(r.floatCpError) ? r.floatCpError.toFixed(4) : '-',
    r.error.toFixed(4),
    String(r.iterations),
    r.ms.toFixed(0),
  ]);
  const headers = [
    '#',
    'layer',
    'weight',
    'method',
    'rank',
    'bits',
    'float CP',
    'error',
    'iters',
    'ms',
  ];
  const table = formatTable(headers, rows, new Set([0, 4, 5, 6, 7, 8, 9]));
  const { meanError, ms } = report.totals;
  return `${table}\n\n${report.layers.length} layers, mean relative error ${meanError.toFixed(4)}, ${(ms / 1000).toFixed(1)} s`;
}

const methods: readonly CompressMethod[] = ['admm', 'ftq', 'ptq', 'cp'];

function numberOption(
  name: string,
  value: string | undefined,
  integer: boolean,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `compress: --${name} must be ${integer ? 'an integer' : 'a number'}, got "${value}"`,
    );
  }
  return n;
}

/** Turns the parsed options into job settings, rejecting contradictions up front. */
export function compressSettings(
  values: Record<string, string | boolean | undefined>,
): JobSettings {
  const method = values.method as CompressMethod | undefined;
  if (!method || !methods.includes(method)) {
    throw new UsageError(`compress: --method must be one of ${methods.join(', ')}`);
  }
  const rate = numberOption('rate', values.rate as string | undefined, false);
  const rank = numberOption('rank', values.rank as string | undefined, true);
  const bits = numberOption('bits', values.bits as string | undefined, true);
  const seed = numberOption('seed', values.seed as string | undefined, true);
  if (bits === undefined) throw new UsageError('compress: --bits is required');
  if (method !== 'ptq' && (rate === undefined) === (rank === undefined)) {
    throw new UsageError('compress: give exactly one of --rate R or --rank N');
  }
  const preset = (values.preset as string | undefined) ?? 'default';
  if (preset !== 'default' && preset !== 'published') {
    throw new UsageError(`compress: --preset must be default or published, got "${preset}"`);
  }
  return { method, rate, rank, bits, preset, seed, perChannel: values['per-channel'] === true };
}

export async function compressCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('compress', argv, {
    method: { type: 'string' },
    rate: { type: 'string' },
    rank: { type: 'string' },
    bits: { type: 'string' },
    preset: { type: 'string' },
    layers: { type: 'string' },
    seed: { type: 'string' },
    'per-channel': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...compressOutputOptions,
  });
  if (values.help) {
    console.log(`${compressUsage}\n${compressOutputUsage}`);
    return 0;
  }
  const output = parseOutputArgs(values);
  if (positionals.length !== 1) {
    throw new UsageError(
      `compress: expected one MODEL.onnx, got ${positionals.length} (see qaf compress --help)`,
    );
  }
  const settings = compressSettings(values);
  let layers: RegExp | undefined;
  try {
    layers = values.layers === undefined ? undefined : new RegExp(values.layers);
  } catch {
    throw new UsageError(`compress: --layers "${values.layers}" is not a valid regular expression`);
  }
  const modelBytes = readInputFile(positionals[0], 'model file');
  const model = readModel(modelBytes);
  const kernels = await loadKernels();
  const onLayer = values.json
    ? undefined
    : (r: LayerResult, i: number, n: number) =>
        process.stderr.write(
          `[${i + 1}/${n}] ${r.name}: error ${r.error.toFixed(4)} (${r.ms.toFixed(0)} ms)\n`,
        );
  const report = compressModel(kernels, model, settings, { layers }, onLayer);
  if (output) {
    const written = await writeOutput(output, modelBytes, report.layers);
    const summary = `${compressTable(report)}\n\n${outputSummary(written, output.path)}`;
    console.log(values.json ? JSON.stringify(written) : summary);
    return 0;
  }
  console.log(values.json ? compressJson(report) : compressTable(report));
  return 0;
}
