// `npm run bench:calibrate`: calibration after compression, the old way against the new, in the
// same run. Old ('rerun'): one run of the network truncated after each compressed layer, from the
// input, statistics in JavaScript. New ('sequential'): one step per layer from the activations
// cached at the cut, statistics reduced in the graph. Both calibrate the same QAF model (rate 2,
// 4-bit weights, the block 3x3 convs) of ResNet-20 and ResNet-56 on 256 / 512 / 1024 images of
// cifar10_train_5k.bin, reference statistics included (what one model costs in the app and in
// `qaf compress`), in interleaved rounds; wall and CPU seconds are medians over rounds and the
// speed-ups medians of the per-round ratios (this VM's speed drifts). Then top-1 of both
// calibrated models on the 1,000-image quick subset of the test set, and on the full set for
// ResNet-20 at 1,024 images. Prints a table, then one JSON line.
//
// Flags: --models=resnet20,resnet56  --images=256,512,1024  --rounds=2 (ResNet-56: --rounds56=1)
//        --no-full (skip the full-test-set check)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { makeCalibrationBatches } from '../src/core/calibrate/batches.ts';
import {
  type CalibrationReport,
  type CalibrationStrategy,
  calibrateModel,
} from '../src/core/calibrate/calibrateModel.ts';
import { floatValues } from '../src/core/calibrate/tensorData.ts';
import { parseCifar10 } from '../src/core/data/cifar10.ts';
import { subsetIndices } from '../src/core/data/subset.ts';
import type { Dataset } from '../src/core/data/types.ts';
import { evaluateModel } from '../src/core/eval/evaluate.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { DataType, type OnnxModel } from '../src/core/onnx/types.ts';
import {
  compressModel,
  layerOutputs,
  type PreparedModel,
  prepareModel,
} from '../src/core/pipeline/index.ts';
import { formatTable } from '../src/core/util/textFormat.ts';

const shared = process.env.QAF_SHARED_DIR ?? join(import.meta.dirname, '../../shared');
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const models = (flag('models') ?? 'resnet20,resnet56').split(',');
const imageCounts = (flag('images') ?? '256,512,1024').split(',').map(Number);
const rounds = Number(flag('rounds') ?? 2);
const rounds56 = Number(flag('rounds56') ?? 1);
const full = !process.argv.includes('--no-full');
const read = (p: string) => new Uint8Array(readFileSync(join(shared, p)));

const train = parseCifar10(read('data/cifar10_train_5k.bin'));
const test = parseCifar10(read('data/cifar10_test_batch.bin'));
const quick = subsetIndices(test, 'quick', 1000);

interface Timed {
  wallS: number;
  cpuS: number;
}

interface Side {
  wallS: number;
  cpuS: number;
  runs: number;
  networkPasses: number;
  peakCacheMB: number;
  top1Quick: number;
  top1Full: number | null;
}

interface Row {
  model: string;
  layers: number;
  images: number;
  rounds: number;
  old: Side;
  new: Side;
  speedupWall: number;
  speedupCpu: number;
  /** Largest difference of a scale or bias between the two models, relative to its tensor. */
  maxParamDiff: number;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T } & Timed> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return {
    value,
    wallS: (performance.now() - wall) / 1000,
    cpuS: (used.user + used.system) / 1e6,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function compressQaf(prepared: PreparedModel) {
  const built = await compressModel({
    prepared,
    kernels: await loadKernels(),
    allocation: {
      settings: { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0 },
      selection: { spatialOnly: true },
    },
    check: false,
  });
  return { bytes: built.bytes, names: built.results.map((r) => r.name) };
}

async function top1(bytes: Uint8Array, dataset: Dataset, indices?: Int32Array) {
  const report = await evaluateModel({ modelBytes: bytes, dataset, indices, latencyRuns: 0 });
  return report.accuracy ?? Number.NaN;
}

function maxParamDiff(a: OnnxModel, b: OnnxModel): number {
  const right = new Map((b.graph.initializer ?? []).map((t) => [t.name, t]));
  let worst = 0;
  for (const t of a.graph.initializer ?? []) {
    if (t.dataType !== DataType.FLOAT) continue;
    const x = floatValues(t);
    const y = floatValues(right.get(t.name)!);
    const scale = Math.max(1e-30, ...Array.from(x, Math.abs));
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
  }
  return worst;
}

async function measure(
  model: string,
  prepared: PreparedModel,
  compressed: { bytes: Uint8Array; names: string[] },
  images: number,
  n: number,
) {
  const names = layerOutputs(prepared, compressed.names);
  const batches = makeCalibrationBatches(prepared.model, train, { images });
  const run = (strategy: CalibrationStrategy) =>
    timed(() =>
      calibrateModel({
        referenceBytes: prepared.bytes,
        compressedBytes: compressed.bytes,
        layerOutputs: names,
        batches,
        strategy,
      }),
    );
  // Warm-up: the first session of a process pays for compiling onnxruntime's wasm.
  await calibrateModel({
    referenceBytes: prepared.bytes,
    compressedBytes: compressed.bytes,
    layerOutputs: names.slice(0, 1),
    batches: batches.slice(0, 1),
  });
  const olds: Timed[] = [];
  const news: Timed[] = [];
  let oldResult: CalibrationReport | null = null;
  let newResult: CalibrationReport | null = null;
  for (let r = 0; r < n; r++) {
    // Alternate which goes first, so a drift in the machine's speed hits both alike.
    const order: CalibrationStrategy[] = r % 2 ? ['sequential', 'rerun'] : ['rerun', 'sequential'];
    for (const strategy of order) {
      const t = await run(strategy);
      (strategy === 'rerun' ? olds : news).push(t);
      if (strategy === 'rerun') oldResult = t.value;
      else newResult = t.value;
      console.error(
        `${model} ${images} images, round ${r + 1}: ${strategy} ${t.wallS.toFixed(1)} s wall, ` +
          `${t.cpuS.toFixed(1)} s CPU (load ${loadavg()[0].toFixed(1)})`,
      );
    }
  }
  const side = async (
    times: Timed[],
    result: CalibrationReport,
    withFull: boolean,
  ): Promise<Side> => ({
    wallS: median(times.map((t) => t.wallS)),
    cpuS: median(times.map((t) => t.cpuS)),
    runs: result.runs,
    networkPasses: result.networkPasses,
    peakCacheMB: result.peakCacheBytes / 1e6,
    top1Quick: await top1(result.bytes, test, quick),
    top1Full: withFull ? await top1(result.bytes, test) : null,
  });
  const withFull = full && model === 'resnet20' && images === 1024;
  const row: Row = {
    model,
    layers: names.length,
    images: batches.reduce((a, b) => a + b.dims[0], 0),
    rounds: n,
    old: await side(olds, oldResult!, withFull),
    new: await side(news, newResult!, withFull),
    speedupWall: median(olds.map((o, i) => o.wallS / news[i].wallS)),
    speedupCpu: median(olds.map((o, i) => o.cpuS / news[i].cpuS)),
    maxParamDiff: maxParamDiff(oldResult!.model, newResult!.model),
  };
  return row;
}

const rows: Row[] = [];
for (const model of models) {
  const prepared = await prepareModel(read(`models/${model}_cifar10.onnx`));
  const compressed = await compressQaf(prepared);
  for (const images of imageCounts) {
    const n = model === 'resnet56' ? rounds56 : rounds;
    rows.push(await measure(model, prepared, compressed, images, n));
  }
}

const pct = (x: number | null) => (x === null ? '-' : (100 * x).toFixed(2));
console.log(
  `Calibration after compression, QAF rate 2 w4 (block 3x3 convs), reference statistics ` +
    `included; old = re-run from the input per layer, new = from cached activations; ` +
    `medians over rounds; top-1 on the 1,000-image quick subset (full: 10,000)`,
);
console.log(
  formatTable(
    [
      'model',
      'images',
      'old s',
      'new s',
      'speed-up',
      'old CPU s',
      'new CPU s',
      'CPU speed-up',
      'runs',
      'passes old/new',
      'cache MB',
      'top-1 old',
      'top-1 new',
      'full old',
      'full new',
      'max diff',
    ],
    rows.map((r) => [
      `${r.model} (${r.layers})`,
      String(r.images),
      r.old.wallS.toFixed(1),
      r.new.wallS.toFixed(1),
      `${r.speedupWall.toFixed(1)}x`,
      r.old.cpuS.toFixed(1),
      r.new.cpuS.toFixed(1),
      `${r.speedupCpu.toFixed(1)}x`,
      `${r.old.runs}/${r.new.runs}`,
      `${r.old.networkPasses.toFixed(1)}/${r.new.networkPasses.toFixed(1)}`,
      r.new.peakCacheMB.toFixed(0),
      pct(r.old.top1Quick),
      pct(r.new.top1Quick),
      pct(r.old.top1Full),
      pct(r.new.top1Full),
      r.maxParamDiff.toExponential(1),
    ]),
  ),
);
const worstAccuracy = Math.max(
  ...rows.flatMap((r) => [
    Math.abs(r.old.top1Quick - r.new.top1Quick),
    r.old.top1Full === null ? 0 : Math.abs(r.old.top1Full - (r.new.top1Full ?? 0)),
  ]),
);
const slowest = Math.min(...rows.map((r) => Math.min(r.speedupWall, r.speedupCpu)));
const passed = slowest >= 4 && worstAccuracy <= 0.002;
console.log(
  `slowest speed-up ${slowest.toFixed(1)}x (required >= 4), largest top-1 difference ` +
    `${(100 * worstAccuracy).toFixed(2)} points (required <= 0.2): ${passed ? 'PASS' : 'FAIL'}`,
);
console.log(
  JSON.stringify({
    bench: 'calibrate',
    setting: { method: 'admm', rate: 2, bits: 4, layers: 'spatial', referenceIncluded: true },
    rows,
    requirement: { speedupMin: 4, top1DiffMax: 0.002, slowest, worstAccuracy, passed },
    load: loadavg()[0],
  }),
);
