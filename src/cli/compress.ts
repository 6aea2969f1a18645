// `qaf compress MODEL.onnx --method admm|ftq|ptq|cp (--rate R | --rank N) --bits B ...`:
// compresses the selected layers and prints per-layer errors; with -o the core pipeline writes,
// calibrates and checks the model (compressOutput.ts).

import { sharedFactorizer } from '../core/allocate/factorizer.ts';
import {
  type Allocation,
  allocationJobs,
  type CompressMethod,
  isMethodId,
  type JobSettings,
  type LayerResult,
  METHOD_IDS,
  METHODS,
  methodSpec,
  selectLayers,
} from '../core/factor/index.ts';
import type { InputMoments } from '../core/factor/inputMoments.ts';
import type { Kernels } from '../core/kernels/index.ts';
import { loadKernels } from '../core/kernels/index.ts';
import {
  graphInputs,
  noLayerMessage as noCompressibleLayer,
  readModel,
  skipReasons,
} from '../core/onnx/index.ts';
import { type PreparedModel, prepareModel, quantizeOnlyRun } from '../core/pipeline/index.ts';
import { preflight } from '../core/pipeline/preflight.ts';
import type { LayerFactorCache } from '../core/sweep/layerCache.ts';
import {
  allocationCliOption,
  allocationCliUsage,
  allocationPlanFromArgs,
  allocationSource,
  reuseSummary,
} from './allocationFlag.ts';
import {
  checkOutputArgs,
  compressOutputOptions,
  compressOutputUsage,
  outputSummary,
  parseOutputArgs,
  writeOutput,
} from './compressOutput.ts';
import { cliInputMoments, objectiveOption, objectiveUsage, parseObjective } from './objective.ts';
import {
  LayerPool,
  parseThreads,
  pooledFactorizer,
  setRuntimeThreads,
  threadsUsage,
} from './threadPool.ts';
import {
  formatTable,
  maxInputBytesOption,
  maxInputBytesUsage,
  parseByteSize,
  parseCommandArgs,
  parseInputShapes,
  readInputFile,
  UsageError,
} from './util.ts';

const methodLines = METHOD_IDS.map(
  (id) => `                   ${id.padEnd(5)} ${METHODS[id].summary}`,
).join('\n');

export const compressUsage = `usage: qaf compress MODEL.onnx --method ${METHOD_IDS.join('|')} (--rate R | --rank N) --bits B
                    [--preset default|published] [--layers REGEX] [--seed S] [--per-channel] [--json]
                    [--max-input-bytes N] [--qaf-objective published|data]
                    [--scales factor|component] [--input-shape SHAPE]
       qaf compress MODEL.onnx (--allocation ALLOC.json | --budget bops=P%|size=S) -o OUT.onnx ...

  --method M       one of:
${methodLines}
  --rate R         parameter-reduction rate; rank = floor(IJK / ((I+J+K) R)) per layer
  --rank N         explicit CP rank for every selected layer
  --bits B         weight bits, 2..8
  --preset P       ADMM stopping rules: default (fast) or published (the paper's limits)
  --layers REGEX   only layers whose name or weight name matches (default: all factorizable
                   layers; for ptq all weight layers)
  --seed S         seed for the random parts of the initialisation (default 0)
  --per-channel    ptq: one scale per output channel
  --input-shape SHAPE  concrete input shape, e.g. 1,3,640,640 (NAME=... for one of several
                   inputs; repeatable): layers are measured, and the written model checked on
                   generated inputs, at it; symbolic dims left open are taken as 1
  --scales S       admm: component (default: one grid scale per rank-1 component, written as
                   one per-axis DequantizeLinear) or factor (one per factor matrix, per-tensor
                   DequantizeLinear, for runtimes without per-axis dequantization)
${objectiveUsage}
${maxInputBytesUsage}
${threadsUsage()}
  --json           print one JSON object instead of the table`;

export interface CompressModelReport {
  layers: LayerResult[];
  totals: { meanError: number; ms: number };
}

/**
 * Compresses the allocated layers of a prepared model on `threads` threads (threadPool.ts), or
 * through `factorCache` (a --budget pass's factorizations, its misses on the pass's pool).
 */
export async function compressModelLayers(
  kernels: Kernels,
  prepared: PreparedModel,
  allocation: Allocation,
  onLayer?: (result: LayerResult, index: number, count: number) => void,
  threads = 1,
  moments?: ReadonlyMap<string, InputMoments> | null,
  factorCache?: LayerFactorCache,
): Promise<CompressModelReport> {
  const jobs = allocationJobs(prepared.model, prepared.layers, allocation, moments ?? undefined);
  if (jobs.length === 0) throw new UsageError(noLayerMessage(prepared, allocation));
  const onResult =
    onLayer && ((r: LayerResult, done: number, n: number) => onLayer(r, done - 1, n));
  // A layer that dominates the run is said (more threads cannot shorten it), with the progress.
  const note = onLayer && ((line: string) => void process.stderr.write(`${line}\n`));
  const factorize = factorCache
    ? sharedFactorizer(factorCache, onResult)
    : pooledFactorizer(kernels, threads, { onResult, note });
  const layers = await factorize(jobs, {});
  const meanError = layers.reduce((s, r) => s + r.error, 0) / layers.length;
  return { layers, totals: { meanError, ms: layers.reduce((s, r) => s + r.ms, 0) } };
}

/** "No layer" in words a user can act on: what the model has and why none was taken. */
function noLayerMessage(prepared: PreparedModel, allocation: Allocation): string {
  const all = prepared.layers;
  if (all.length === 0) {
    const only = quantizeOnlyRun(prepared, allocation.settings.method);
    const hint = only
      ? `; with -o OUT.onnx the ${only.layers.length} weight nodes in If/Loop/Scan bodies are ` +
        `written quantized only, ${only.bits}-bit per channel, and checked next to the original`
      : '';
    return `compress: ${noCompressibleLayer(prepared.skipped)}${hint}`;
  }
  const method = methodSpec(allocation.settings.method);
  const reasons = [...new Set(all.map((l) => l.reason))].slice(0, 5).join('; ');
  const pattern = allocation.selection?.layers;
  return pattern
    ? `compress: no layer matches --layers ${pattern.source} (the model has ${all.length} weight layers)`
    : `compress: none of the model's ${all.length} weight layers can take ${method.label} (${reasons})`;
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
export function compressSettings(values: Record<string, unknown>): JobSettings {
  const given = values.method as string | undefined;
  if (!given || !isMethodId(given)) {
    throw new UsageError(`compress: --method must be one of ${METHOD_IDS.join(', ')}`);
  }
  const method: CompressMethod = given;
  const rate = numberOption('rate', values.rate as string | undefined, false);
  const rank = numberOption('rank', values.rank as string | undefined, true);
  const bits = numberOption('bits', values.bits as string | undefined, true);
  const seed = numberOption('seed', values.seed as string | undefined, true);
  if (bits === undefined) throw new UsageError('compress: --bits is required');
  if (METHODS[method].factorizes && (rate === undefined) === (rank === undefined)) {
    throw new UsageError('compress: give exactly one of --rate R or --rank N');
  }
  const preset = (values.preset as string | undefined) ?? 'default';
  if (preset !== 'default' && preset !== 'published') {
    throw new UsageError(`compress: --preset must be default or published, got "${preset}"`);
  }
  const objective = parseObjective(values);
  const scales = values.scales as string | undefined;
  if (scales !== undefined && scales !== 'factor' && scales !== 'component') {
    throw new UsageError(`compress: --scales must be factor or component, got "${scales}"`);
  }
  return {
    method,
    rate,
    rank,
    bits,
    preset,
    seed,
    perChannel: values['per-channel'] === true,
    ...(objective && { objective }),
    ...(scales && { scales }),
  };
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
    scales: { type: 'string' },
    'input-shape': { type: 'string', multiple: true },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    threads: { type: 'string' },
    ...maxInputBytesOption,
    ...compressOutputOptions,
    ...allocationCliOption,
    ...objectiveOption,
  });
  if (values.help) {
    console.log(`${compressUsage}\n${allocationCliUsage}\n${compressOutputUsage}`);
    return 0;
  }
  // Contradictions first (--allocation with --rate...), before any file is read.
  const source = allocationSource(values);
  const output = parseOutputArgs(values);
  if (positionals.length !== 1) {
    throw new UsageError(
      `compress: expected one MODEL.onnx, got ${positionals.length} (see qaf compress --help)`,
    );
  }
  const settings = source ? null : compressSettings(values);
  let layers: RegExp | undefined;
  try {
    layers = values.layers === undefined ? undefined : new RegExp(values.layers);
  } catch {
    throw new UsageError(`compress: --layers "${values.layers}" is not a valid regular expression`);
  }
  if (output) checkOutputArgs(output, positionals[0]);
  const threads = parseThreads(values.threads, (line) => process.stderr.write(`${line}\n`));
  setRuntimeThreads(threads);
  const maxBytes = parseByteSize('max-input-bytes', values['max-input-bytes']);
  const modelBytes = readInputFile(positionals[0], 'model file', maxBytes);
  const shapes = values['input-shape'] as string[] | undefined;
  const inputNames = () => graphInputs(readModel(modelBytes)).map((v) => v.name ?? '');
  const prepared = await prepareModel(
    modelBytes,
    shapes?.length ? { inputShapes: parseInputShapes(shapes, inputNames()) } : {},
  );
  if (!values.json) {
    if (prepared.normalization.length) {
      process.stderr.write(`normalised the graph: ${prepared.normalization.join('; ')}\n`);
    }
    if (prepared.skipped.length) {
      const n = prepared.skipped.length;
      process.stderr.write(
        `${n} weight node${n === 1 ? '' : 's'} left as is: ${skipReasons(prepared.skipped)}\n`,
      );
    }
  }
  const kernels = await loadKernels();
  const onLayer = values.json
    ? undefined
    : (r: LayerResult, i: number, n: number) =>
        process.stderr.write(
          `[${i + 1}/${n}] ${r.name}: error ${r.error.toFixed(4)} (${r.ms.toFixed(0)} ms)\n`,
        );
  const log = values.json ? undefined : (line: string) => process.stderr.write(`${line}\n`);
  // A --budget pass factorizes on this pool, and the build reuses the pass's factors.
  const pool = source?.kind === 'budget' ? new LayerPool(kernels, threads) : null;
  try {
    const plan = settings
      ? { allocation: { settings, selection: { layers } }, reuse: null }
      : (await allocationPlanFromArgs(values, prepared, {
          kernels: async () => kernels,
          modelPath: positionals[0],
          log,
          runJob: pool ? (job) => pool.compress(job) : undefined,
        }))!;
    const { allocation, reuse } = plan;
    const method = allocation.settings.method;
    // No main-graph layer but weights in If/Loop/Scan bodies (Silero VAD): with -o, those are
    // written quantized only, and the file's report says why nothing was factorized.
    const quantizeOnly =
      output &&
      quantizeOnlyRun(prepared, method, {
        otherWeightBits: output.otherBits,
        actBits: output.actBits,
      });
    if (!quantizeOnly && selectLayers(prepared.layers, method, allocation.selection).length === 0) {
      throw new UsageError(noLayerMessage(prepared, allocation));
    }
    if (output) {
      // Before any solving: the file this asks for must be one onnxruntime can load.
      const checked = await preflight(prepared, allocation, {
        otherWeightBits: output.otherBits,
        actBits: output.actBits,
      });
      // The quantize-only note comes once, with the written file's summary.
      const notes = checked.notes.filter((n) => !quantizeOnly || n !== quantizeOnly.note);
      if (!values.json) for (const note of notes) process.stderr.write(`${note}\n`);
    }
    const say = values.json ? undefined : (line: string) => process.stderr.write(`${line}\n`);
    const moments =
      reuse || quantizeOnly
        ? (reuse?.moments ?? null)
        : await cliInputMoments(kernels, prepared, allocation, output, say);
    const report = quantizeOnly
      ? { layers: [], totals: { meanError: 0, ms: 0 } }
      : await compressModelLayers(
          kernels,
          prepared,
          allocation,
          onLayer,
          threads,
          moments,
          reuse?.factorCache,
        );
    if (reuse) say?.(reuseSummary(reuse, report.layers.length));
    for (const r of report.layers) if (r.warning && say) say(`${r.name}: ${r.warning}`);
    if (output) {
      // A per-layer allocation goes into the file's metadata as given; a uniform one as results.
      const given = source ? allocation : undefined;
      const written = await writeOutput(
        output,
        positionals[0],
        prepared,
        report.layers,
        kernels,
        given,
      );
      const summary = quantizeOnly
        ? outputSummary(written, output.path)
        : `${compressTable(report)}\n\n${outputSummary(written, output.path)}`;
      console.log(values.json ? JSON.stringify(written) : summary);
      return 0;
    }
    console.log(values.json ? compressJson(report) : compressTable(report));
    return 0;
  } finally {
    pool?.close();
  }
}
