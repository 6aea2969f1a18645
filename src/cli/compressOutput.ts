// `qaf compress ... -o OUT.onnx [--act-bits 8 --calib FILE] [--other-bits B]`: writes the
// compressed model (src/core/rewrite) and reports its costs and its real size on disk.
import { writeFileSync } from 'node:fs';
import type { LayerResult } from '../core/factor/types.ts';
import { loadKernels } from '../core/kernels/index.ts';
import type { CompressionReport } from '../core/rewrite/types.ts';
import { writeCompressed } from '../core/rewrite/writeCompressed.ts';
import {
  type CalibrationCliArgs,
  calibrateCompressedBytes,
  calibrationCliOptions,
  calibrationCliUsage,
  datasetFormat,
  loadDataFile,
  parseCalibrationArgs,
} from './data.ts';
import { formatBytes, UsageError } from './util.ts';

export const compressOutputOptions = {
  output: { type: 'string', short: 'o' },
  'act-bits': { type: 'string' },
  'other-bits': { type: 'string' },
  calib: { type: 'string' },
  'calib-count': { type: 'string' },
  'calib-method': { type: 'string' },
  ...calibrationCliOptions,
} as const;

export const compressOutputUsage = `
writing the compressed model:
  -o, --output FILE  write the compressed .onnx: factorized layers, codes of <= 4 bits as INT4
                     (opset 21), 5-8 bits as INT8, feeding DequantizeLinear; --json then prints
                     the model's report (per-layer and total MACs, BOPs, BOP%, bytes)
  --other-bits B     weights of the layers not compressed: 2-8, or 32 to keep them float
                     (default 8 when anything is quantized)
  --act-bits A       8: QuantizeLinear/DequantizeLinear on the inputs of weight layers;
                     32 (default): float activations
  --calib FILE       calibration images for --act-bits 8 (CIFAR-10 .bin, .zip or .npy)
  --calib-count N    calibration images, spread over the file (default 256)
  --calib-method M   minmax (default) or percentile (99.99 %)
${calibrationCliUsage}`;

export interface OutputArgs {
  path: string;
  actBits: number;
  otherBits: number | undefined;
  calib: string | null;
  calibCount: number;
  calibMethod: 'minmax' | 'percentile';
  /** Calibration after compression (src/core/calibrate), when --calibration-data is given. */
  calibration: CalibrationCliArgs | null;
}

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
  const rest = ['act-bits', 'other-bits', 'calib', 'calib-count', 'calib-method'];
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
  const calibCount = intOption('calib-count', values['calib-count'], (n) => n > 0) ?? 256;
  const calibration = parseCalibrationArgs(values);
  return { path, actBits, otherBits, calib, calibCount, calibMethod: method, calibration };
}

/** Builds the compressed model from the results and writes it to `args.path`. */
export async function writeOutput(
  args: OutputArgs,
  modelBytes: Uint8Array,
  results: readonly LayerResult[],
): Promise<CompressionReport> {
  let calibration: Parameters<typeof writeCompressed>[0]['calibration'];
  if (args.actBits < 32 && args.calib) {
    const format = datasetFormat('compress', args.calib, undefined, null);
    const { dataset } = await loadDataFile(args.calib, format, 'calibration data');
    calibration = { dataset, count: args.calibCount, method: args.calibMethod };
  }
  let { bytes, report } = await writeCompressed({
    modelBytes,
    results,
    otherWeightBits: args.otherBits,
    actBits: args.actBits,
    calibration,
    kernels: await loadKernels(),
  });
  if (args.calibration) {
    const names = results.map((r) => r.name);
    bytes = await calibrateCompressedBytes(args.calibration, modelBytes, bytes, names);
    report = { ...report, totals: { ...report.totals, sizeBytes: bytes.length } };
  }
  writeFileSync(args.path, bytes);
  return report;
}

export function outputSummary(report: CompressionReport, path: string): string {
  const t = report.totals;
  const lines = [
    `wrote ${path}: ${formatBytes(t.sizeBytes)} (float ${formatBytes(t.floatSizeBytes)}, ` +
      `${(t.floatSizeBytes / t.sizeBytes).toFixed(1)}x smaller; ideal weights ` +
      `${formatBytes(t.idealWeightBytes)}), opset ${report.opsetVersion}`,
    `BOPs ${(t.bopPercent).toFixed(3)} % of float (weights of other layers at ` +
      `${report.otherWeightBits} bits, activations at ${report.actBits} bits), MACs ${t.macs}`,
    ...report.notes,
  ];
  return lines.join('\n');
}
