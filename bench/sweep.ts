// `npm run bench:sweep`: the method's central claim on ResNet-20 / CIFAR-10. The 18 block 3x3
// convs at rate 2 with 4-bit weights (other weights 8-bit, activations float), calibrated on
// 1,024 training images, evaluated on the full 10,000-image test set: QAF (ADMM) against FTQ,
// quantization only (PTQ), float CP and the float model. `-- --full` adds the curve (rates
// 1.5/2/3, bits 3/4/6/8, ADMM/FTQ/PTQ, +/- calibration, float and 8-bit activations) on the
// 1,000-image quick subset. Prints a table, then one JSON line.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseCifar10 } from '../src/core/data/cifar10.ts';
import { subsetIndices } from '../src/core/data/subset.ts';
import { expandGrid, pointId } from '../src/core/sweep/grid.ts';
import { runModelSweep } from '../src/core/sweep/modelSweep.ts';
import { sweepTable } from '../src/core/sweep/table.ts';
import type { SweepMethod, SweepPoint, SweepRow } from '../src/core/sweep/types.ts';

const shared = process.env.QAF_SHARED_DIR ?? join(import.meta.dirname, '../../shared');
const full = process.argv.includes('--full');
/** `--name=value` flags: --images (headline), --curve-images, --curve-rates, --curve-bits,
 * --curve-act (e.g. 32,8), --curve-methods, --calibration-images, --skip-headline. */
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const list = (name: string, fallback: number[]) => flag(name)?.split(',').map(Number) ?? fallback;
const imagesArg = flag('images');
const calibrationImages = Number(flag('calibration-images') ?? 1024);
const skipHeadline = process.argv.includes('--skip-headline');
const read = (p: string) => new Uint8Array(readFileSync(join(shared, p)));

const modelBytes = read('models/resnet20_cifar10.onnx');
const testBytes = read('data/cifar10_test_batch.bin');
const trainBytes = read('data/cifar10_train_5k.bin');
const test = parseCifar10(testBytes);
const train = parseCifar10(trainBytes);

const base = { actBits: null, calibrated: false } as const;
const headlinePoints: SweepPoint[] = [
  { ...base, method: 'float', rate: null, bits: 32 },
  { ...base, method: 'admm', rate: 2, bits: 4 },
  { ...base, method: 'admm', rate: 2, bits: 4, calibrated: true },
  { ...base, method: 'ftq', rate: 2, bits: 4 },
  { ...base, method: 'ftq', rate: 2, bits: 4, calibrated: true },
  { ...base, method: 'ptq', rate: null, bits: 4 },
  { ...base, method: 'ptq', rate: null, bits: 4, calibrated: true },
  { ...base, method: 'cp', rate: 2, bits: 32 },
  { ...base, method: 'cp', rate: 2, bits: 32, calibrated: true },
];

async function sweep(points: SweepPoint[], indices: Int32Array | undefined, label: string) {
  const started = performance.now();
  const result = await runModelSweep({
    modelBytes,
    dataset: test,
    dataBytes: testBytes,
    indices,
    points,
    calibration: { dataset: train, dataBytes: trainBytes, images: calibrationImages },
    latencyRuns: 20,
    onRow: (r) =>
      console.error(
        `${label} ${pointId(r)}: top-1 ${(100 * r.accuracy).toFixed(2)} % ` +
          `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
      ),
  });
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

const find = (rows: SweepRow[], method: string, calibrated: boolean) =>
  rows.find((r) => r.method === method && r.calibrated === calibrated && (r.rate ?? 2) === 2)
    ?.accuracy ?? null;

const headlineImages = imagesArg ? Number(imagesArg) : test.count;
const headlineIndices =
  headlineImages < test.count ? subsetIndices(test, 'quick', headlineImages) : undefined;
const headline = await sweep(skipHeadline ? [] : headlinePoints, headlineIndices, 'headline');
if (!skipHeadline) {
  console.log(
    `ResNet-20 / CIFAR-10, ${headline.layers.length} block 3x3 convs, rate 2, 4-bit weights, ` +
      `float activations; ${headline.images} test images, calibrated on ${headline.calibrationImages} ` +
      `training images; ${headline.seconds.toFixed(0)} s, load ${loadavg()[0].toFixed(1)}`,
  );
  console.log(sweepTable(headline.rows));
}

const summary = {
  admm: find(headline.rows, 'admm', false),
  admmCalibrated: find(headline.rows, 'admm', true),
  ftq: find(headline.rows, 'ftq', false),
  ftqCalibrated: find(headline.rows, 'ftq', true),
  ptq: find(headline.rows, 'ptq', false),
  ptqCalibrated: find(headline.rows, 'ptq', true),
  cp: find(headline.rows, 'cp', false),
  cpCalibrated: find(headline.rows, 'cp', true),
  float: find(headline.rows, 'float', false),
};
const margin = (summary.admmCalibrated ?? 0) - (summary.ftqCalibrated ?? 0);
const passed = (summary.admmCalibrated ?? 0) >= 0.83 && margin >= 0.5;
if (!skipHeadline)
  console.log(
    `QAF calibrated ${(100 * (summary.admmCalibrated ?? 0)).toFixed(2)} % (required >= 83 %), ` +
      `${(100 * margin).toFixed(1)} points above FTQ calibrated (required >= 50): ${passed ? 'PASS' : 'FAIL'}`,
  );

let curve: Awaited<ReturnType<typeof sweep>> | null = null;
const curveImages = Number(flag('curve-images') ?? 1000);
if (full) {
  const points = expandGrid({
    methods: (flag('curve-methods')?.split(',') ?? ['admm', 'ftq', 'ptq']) as SweepMethod[],
    rates: list('curve-rates', [1.5, 2, 3]),
    bits: list('curve-bits', [3, 4, 6, 8]),
    actBits: list('curve-act', [32, 8]).map((b) => (b === 32 ? null : b)),
  });
  curve = await sweep(points, subsetIndices(test, 'quick', curveImages), 'curve');
  console.log(
    `\nCurve on the ${curve.images}-image quick subset (class-balanced; the whole curve on ` +
      `10,000 images would take hours on one thread), calibrated on ${curve.calibrationImages} ` +
      `images: ${curve.seconds.toFixed(0)} s`,
  );
  console.log(sweepTable(curve.rows));
}

const strip = (rows: SweepRow[]) => rows.map(({ cached: _, ...r }) => r);
console.log(
  JSON.stringify({
    model: 'resnet20',
    // With --skip-headline nothing was measured for the headline: say so rather than print zeros.
    images: skipHeadline ? null : headline.images,
    calibrationImages: headline.calibrationImages,
    layers: headline.layers.length,
    points: strip(headline.rows),
    headline: skipHeadline ? null : summary,
    requirement: skipHeadline
      ? null
      : { admmCalibratedMin: 0.83, marginOverFtqMin: 0.5, margin, passed },
    seconds: headline.seconds,
    curve: curve && { images: curve.images, seconds: curve.seconds, points: strip(curve.rows) },
  }),
);
