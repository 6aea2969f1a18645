// `npm run bench:calibration-source`: issue #13 item 3, calibration on by default. A user with
// only an evaluation set gets calibration images set aside from it (core/calibrate/fromData.ts,
// what the app and `qaf sweep` do); is that as good as calibrating on a separate set of the same
// size? ResNet-20, QAF rate 2 / 4-bit weights on the block 3x3 convs, compressed once; then per
// calibration size: (a) images set aside from the user's evaluation data (the CIFAR-10 test set,
// class-balanced), (b) the same number of separate images (cifar10_train_5k.bin), and (c) none;
// all three evaluated on the same images, the ones (a) left for evaluation. The peer is (b).
// Each calibrated model is built as the pipeline builds it by default: data-aware QAF on the
// calibration images' input statistics (so (a) and (b) get their own factors), then calibrated;
// (c) is the published objective (no images). --compress-once: the earlier measurement, one
// published-objective compression calibrated three ways (calibration alone compared).
// Prints a table, then one JSON line.
//
// Flags: --images=256,512  --evaluate=10000 (how much of the test set is the user's data)
//        --compress-once
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCalibrationBatches } from '../src/core/calibrate/batches.ts';
import { calibrateModel } from '../src/core/calibrate/calibrateModel.ts';
import { calibrationFromEvaluation } from '../src/core/calibrate/fromData.ts';
import { parseCifar10 } from '../src/core/data/cifar10.ts';
import { subsetIndices } from '../src/core/data/subset.ts';
import type { Dataset } from '../src/core/data/types.ts';
import { evaluateModel } from '../src/core/eval/evaluate.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { compressModel, layerOutputs, prepareModel } from '../src/core/pipeline/index.ts';
import { formatTable } from '../src/core/util/textFormat.ts';

const shared = process.env.QAF_SHARED_DIR ?? join(import.meta.dirname, '../../shared');
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const imageCounts = (flag('images') ?? '256,512').split(',').map(Number);
const evaluate = Number(flag('evaluate') ?? 10_000);
const read = (p: string) => new Uint8Array(readFileSync(join(shared, p)));

const train = parseCifar10(read('data/cifar10_train_5k.bin'));
const test = parseCifar10(read('data/cifar10_test_batch.bin'));
const userData = evaluate >= test.count ? undefined : subsetIndices(test, 'quick', evaluate);
const userIndices = userData ?? Int32Array.from({ length: test.count }, (_, i) => i);

const compressOnce = process.argv.includes('--compress-once');
const prepared = await prepareModel(read('models/resnet20_cifar10.onnx'));
const kernels = await loadKernels();
const allocation = {
  settings: { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0 },
  selection: { spatialOnly: true },
} as const;
const built = await compressModel({ prepared, kernels, allocation, check: false });
const names = layerOutputs(
  prepared,
  built.results.map((r) => r.name),
);

async function top1(bytes: Uint8Array, indices: Int32Array) {
  const report = await evaluateModel({ modelBytes: bytes, dataset: test, indices, latencyRuns: 0 });
  return 100 * (report.accuracy ?? Number.NaN);
}

async function calibrated(dataset: Dataset, indices: Int32Array) {
  const batches = makeCalibrationBatches(prepared.model, dataset, {
    images: indices.length,
    indices,
  });
  if (!compressOnce) {
    // The default pipeline: statistics, data-aware factors and calibration on these images.
    return (
      await compressModel({ prepared, kernels, allocation, calibration: { batches }, check: false })
    ).bytes;
  }
  const report = await calibrateModel({
    referenceBytes: prepared.bytes,
    compressedBytes: built.bytes,
    layerOutputs: names,
    batches,
  });
  return report.bytes;
}

interface Row {
  images: number;
  evaluated: number;
  statement: string;
  fromEvaluation: number;
  separate: number;
  uncalibrated: number;
  float: number;
  gap: number;
}

const rows: Row[] = [];
for (const images of imageCounts) {
  const split = calibrationFromEvaluation(test, userIndices, images);
  const separateIndices = subsetIndices(train, 'quick', split.calibration.length);
  const row: Row = {
    images: split.calibration.length,
    evaluated: split.evaluation.length,
    statement: split.statement,
    fromEvaluation: await top1(await calibrated(test, split.calibration), split.evaluation),
    separate: await top1(await calibrated(train, separateIndices), split.evaluation),
    uncalibrated: await top1(built.bytes, split.evaluation),
    float: await top1(prepared.bytes, split.evaluation),
    gap: 0,
  };
  row.gap = row.fromEvaluation - row.separate;
  rows.push(row);
  console.error(`${images} images: ${split.statement}`);
}

const pct = (x: number) => x.toFixed(2);
console.log(
  formatTable(
    [
      'calibration images',
      'evaluated',
      'from the evaluation data',
      'separate set (peer)',
      'difference',
      'uncalibrated',
      'float',
    ],
    rows.map((r) => [
      String(r.images),
      String(r.evaluated),
      pct(r.fromEvaluation),
      pct(r.separate),
      (r.gap >= 0 ? '+' : '') + pct(r.gap),
      pct(r.uncalibrated),
      pct(r.float),
    ]),
  ),
);
console.log('(top-1 %, ResNet-20, QAF rate 2 w4; target: within 1 point of the separate set)');
console.log(
  JSON.stringify({
    bench: 'calibration-source',
    model: 'resnet20',
    settings: 'admm rate 2 w4, block 3x3 convs',
    pipeline: compressOnce
      ? 'compressed once (published), calibrated per source'
      : 'default pipeline per source',
    rows,
    worstGap: Math.min(...rows.map((r) => r.gap)),
  }),
);
