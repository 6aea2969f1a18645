// `qaf compress ... -o OUT.onnx [--act-bits 8 --calib FILE] [--other-bits B]`: writes the
// compressed model (src/core/rewrite) and reports its costs and its real size on disk.
import { ACT_CALIBRATION_IMAGES } from '../core/calibrate/defaults.ts';
import type { DatasetFormat } from '../core/data/types.ts';
import { activeThreads } from '../core/eval/session.ts';
import type { Allocation } from '../core/factor/modelJobs.ts';
import type { LayerResult } from '../core/factor/types.ts';
import type { Kernels } from '../core/kernels/types.ts';
import { compressModel, type PreparedModel, type RunCheck } from '../core/pipeline/index.ts';
import type { CompressionReport } from '../core/rewrite/types.ts';
import { WEIGHT_FORMS, type WeightForm } from '../core/rewrite/weightForm.ts';
import {
  type CalibrationCliArgs,
  calibrationCliOptions,
  calibrationCliUsage,
  type DataLimits,
  dataLimitOptions,
  datasetFormat,
  datasetLimitUsage,
  parseCalibrationArgs,
  parseDataLimits,
} from './data.ts';
import {
  calibrationBatchesFromFile,
  inputArraysUsage,
  loadInputArrays,
  splitPaths,
} from './inputArrays.ts';
import { checkOutputPath, forceUsage, writeOutputFile } from './outputFile.ts';
import { formatBytes, UsageError } from './util.ts';

export const compressOutputOptions = {
  output: { type: 'string', short: 'o' },
  force: { type: 'boolean' },
  'act-bits': { type: 'string' },
  'other-bits': { type: 'string' },
  calib: { type: 'string' },
  'calib-count': { type: 'string' },
  'calib-method': { type: 'string' },
  ...calibrationCliOptions,
  'check-data': { type: 'string' },
  'keep-failed': { type: 'boolean' },
  'weight-form': { type: 'string' },
  'latency-guard': { type: 'boolean' },
  ...dataLimitOptions,
} as const;

export const compressOutputUsage = `
writing the compressed model:
  -o, --output FILE  write the compressed .onnx: factorized layers, codes of <= 4 bits as INT4
                     (opset 21), 5-8 bits as INT8, feeding DequantizeLinear; --json then prints
                     the model's report (per-layer and total MACs, BOPs, BOP%, bytes)
${forceUsage}
  --other-bits B     weights of the layers not compressed: 2-8, or 32 to keep them float
                     (default 8 when anything is quantized)
  --act-bits A       8: QuantizeLinear/DequantizeLinear on the inputs of weight layers;
                     32 (default): float activations
  --calib FILE       calibration images for --act-bits 8 (CIFAR-10 .bin, .zip or .npy)
  --calib-count N    calibration images, spread over the file (default ${ACT_CALIBRATION_IMAGES})
  --calib-method M   minmax (default) or percentile (99.99 %)
  --weight-form F    dequantize (default): DequantizeLinear nodes, run at every inference;
                     load: Cast + Mul, which onnxruntime folds once at session creation (same
                     file size, no dequantization per run; the default with --budget latency=);
                     float: float32 weights in the file (larger). Outputs are identical.
  --latency-guard    time each factorized conv alone against the original conv (batch 1) and
                     write the slower ones as one conv computed from their factors at load
                     (same file size; implies --weight-form load; with --act-bits 8 both
                     are timed reading 8-bit inputs, weights as DequantizeLinear)
${calibrationCliUsage}
                            (.npy/.npz arrays feed a one-input model of any rank as they are)

checking the written model (it is always loaded and run next to the original and an 8-bit
per-channel PTQ of the same layers; an output that differs far more than that PTQ fails the
command, and nothing is written unless --keep-failed):
  --check-data FILE[,FILE]  the inputs to check on,
                            ${inputArraysUsage}
                            (default: the calibration data, else generated inputs, which are
                            not judged)
  --keep-failed             write the model even when it fails the check (the command still
                            exits 1 and says why)
${datasetLimitUsage}`;

export interface OutputArgs {
  path: string;
  actBits: number;
  otherBits: number | undefined;
  calib: string | null;
  calibCount: number;
  calibMethod: 'minmax' | 'percentile';
  /** Calibration after compression (src/core/calibrate), when --calibration-data is given. */
  calibration: CalibrationCliArgs | null;
  /** Replace an existing output (never an input). */
  force: boolean;
  /** Bounds on the calibration files (--max-input-bytes, --max-images ...). */
  limits: DataLimits;
  /** Arrays to check the written model on (--check-data). */
  checkData: string[] | null;
  /** Write the model even when its check fails (still an error). */
  keepFailed: boolean;
  /** How constant weights are dequantized (rewrite/weightForm.ts); undefined: the default. */
  weightForm: WeightForm | undefined;
  /** Merge factorized convs that are slower than the original back (pipeline/latencyGuard.ts). */
  latencyGuard: boolean;
}

const cpuClockMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function intOption(name: string, value: unknown, allowed: (n: number) => boolean) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || !allowed(n)) {
    throw new UsageError(`compress: --${name} "${String(value)}" is not allowed (see --help)`);
  }
  return n;
}

/** The -o options, checked before any compression work; null without -o. */
export function parseOutputArgs(values: Record<string, unknown>): OutputArgs | null {
  const path = values.output as string | undefined;
  const rest = ['act-bits', 'other-bits', 'calib', 'calib-count', 'calib-method', 'force'];
  rest.push('check-data', 'keep-failed', 'weight-form', 'latency-guard');
  rest.push(...Object.keys(calibrationCliOptions));
  if (!path) {
    const stray = rest.find((k) => values[k] !== undefined);
    if (stray) throw new UsageError(`compress: --${stray} needs -o OUT.onnx`);
    return null;
  }
  const actBits = intOption('act-bits', values['act-bits'], (n) => n === 8 || n === 32) ?? 32;
  const otherBits = intOption(
    'other-bits',
    values['other-bits'],
    (n) => (n >= 2 && n <= 8) || n === 32,
  );
  const calib = (values.calib as string | undefined) ?? null;
  if (actBits < 32 && !calib) {
    throw new UsageError('compress: --act-bits 8 needs calibration images: --calib FILE');
  }
  const method = (values['calib-method'] as string | undefined) ?? 'minmax';
  if (method !== 'minmax' && method !== 'percentile') {
    throw new UsageError(`compress: --calib-method must be minmax or percentile, got "${method}"`);
  }
  const calibCount =
    intOption('calib-count', values['calib-count'], (n) => n > 0) ?? ACT_CALIBRATION_IMAGES;
  const calibration = parseCalibrationArgs(values);
  const force = values.force === true;
  const limits = parseDataLimits(values);
  const form = values['weight-form'] as string | undefined;
  if (form !== undefined && !WEIGHT_FORMS.includes(form as WeightForm)) {
    throw new UsageError(
      `compress: --weight-form must be ${WEIGHT_FORMS.join(', ')}, got "${form}"`,
    );
  }
  // A latency budget is measured with weights dequantized at load, so the file is written so.
  const latencyBudget = /^\s*latency\s*=/.test(String(values.budget ?? ''));
  return {
    path,
    actBits,
    otherBits,
    calib,
    calibCount,
    calibMethod: method,
    calibration,
    force,
    limits,
    checkData: splitPaths(values['check-data'] as string | undefined),
    keepFailed: values['keep-failed'] === true,
    weightForm: (form as WeightForm | undefined) ?? (latencyBudget ? 'load' : undefined),
    latencyGuard: values['latency-guard'] === true,
  };
}

/** Every file the command reads, the model first: the output may be none of them. */
function inputPaths(args: OutputArgs, modelPath: string): string[] {
  return [modelPath, args.calib, args.calibration?.file, ...(args.checkData ?? [])].filter(
    (p): p is string => Boolean(p),
  );
}

/** The output path's refusals (an input, an existing file without --force), before any work. */
export function checkOutputArgs(args: OutputArgs, modelPath: string): void {
  checkOutputPath(args.path, { force: args.force, inputPaths: inputPaths(args, modelPath) });
}

/** Writes, calibrates and checks the compressed model (the core pipeline), then saves it. */
export async function writeOutput(
  args: OutputArgs,
  modelPath: string,
  prepared: PreparedModel,
  results: readonly LayerResult[],
  kernels: Kernels,
  allocation?: Allocation,
): Promise<CompressionReport & { check: RunCheck | null }> {
  const batchesOf = (file: string, format: DatasetFormat, images: number) =>
    calibrationBatchesFromFile(file, format, prepared.model, images, args.limits);
  const calibration = args.calibration
    ? await batchesOf(args.calibration.file, args.calibration.format, args.calibration.images)
    : null;
  // --calib (activation ranges) may name other images than --calibration-data.
  const actBatches =
    args.actBits < 32 && args.calib
      ? await batchesOf(
          args.calib,
          datasetFormat('compress', args.calib, undefined, null),
          args.calibCount,
        )
      : null;
  const built = await compressModel({
    prepared,
    kernels,
    results,
    allocation,
    output: {
      otherWeightBits: args.otherBits,
      actBits: args.actBits,
      actMethod: args.calibMethod,
      actImages: args.calibCount,
      weightForm: args.weightForm,
      // One wasm thread is timed by CPU time, which other processes on the machine do not inflate.
      ...(args.latencyGuard && {
        latencyGuard: activeThreads() === 1 ? { clock: cpuClockMs } : {},
      }),
    },
    calibration:
      calibration || actBatches
        ? {
            batches: calibration ?? actBatches!,
            actBatches: actBatches ?? undefined,
            calibrate: calibration !== null,
          }
        : null,
    checkData: args.checkData && loadInputArrays(args.checkData, prepared.model, args.limits),
  });
  const verdict = built.check?.verdict;
  const failed = verdict !== undefined && !verdict.ok;
  if (!failed || args.keepFailed) {
    writeOutputFile(args.path, built.bytes, {
      force: args.force,
      inputPaths: inputPaths(args, modelPath),
    });
  }
  if (failed) {
    const written = args.keepFailed
      ? `written to ${args.path} as asked (--keep-failed)`
      : 'so nothing was written (--keep-failed writes it anyway)';
    throw new UsageError(
      `compress: the written model failed its check, ${written}: ${verdict.summary} ` +
        `(checked on ${built.check!.samples} ${built.check!.inputs}). Keep the layers that matter ` +
        '(--layers, or an --allocation with "keep"), calibrate (--calibration-data) or use more bits',
    );
  }
  return { ...built.report, check: built.check };
}

export function outputSummary(
  report: CompressionReport & { check: RunCheck | null },
  path: string,
): string {
  const t = report.totals;
  const lines = [
    `wrote ${path}: ${formatBytes(t.sizeBytes)} (float ${formatBytes(t.floatSizeBytes)}, ` +
      `${(t.floatSizeBytes / t.sizeBytes).toFixed(1)}x smaller; ideal weights ` +
      `${formatBytes(t.idealWeightBytes)}), opset ${report.opsetVersion}`,
    report.layers.length === 0
      ? 'BOPs and MACs: not counted (no layer of the main graph was compressed; the cost model ' +
        'does not count layers inside If/Loop/Scan bodies)'
      : `BOPs ${known(t.bopPercent, (v) => `${v.toFixed(3)} %`)} of float (weights of other layers at ` +
        `${report.otherWeightBits} bits, activations at ${report.actBits} bits), ` +
        `MACs ${known(t.macs, String)}`,
    ...report.notes,
    ...(report.check || report.notes.some((n) => n.startsWith('not checked'))
      ? []
      : ['not checked in onnxruntime']),
  ];
  return lines.join('\n');
}

/** A cost, or why it is missing: symbolic input sizes leave MACs and BOPs unknown. */
function known(value: number, show: (v: number) => string): string {
  return Number.isFinite(value) ? show(value) : 'unknown (set an input shape)';
}
