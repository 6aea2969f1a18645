// `npm run bench:data-aware`: data-aware QAF (issue #13 item 1, docs/data-aware-qaf.md) against
// the published objective, in the same run, on ResNet-20's block convs at rate 2 (--rate), 4 bits
// (default preset). Input statistics from --cal (default 1,024) images of cifar10_train_5k.bin; the
// relative OUTPUT error of every layer, ||(W - W_hat) P||_F / ||W P||_F over the exact im2col
// patches P of --held (default 512) other training images (held out: not used by the objective);
// then top-1 of both models, calibrated on the same 1,024 images and uncalibrated (data-aware
// calibrated also with the centred channel moment, the pipeline's choice then), on --test
// (default 10,000: the full test set) test images, and the float model's. Prints a table, then
// one JSON line.
//
// Flags: --model=resnet20 (or resnet56)  --rate=2  --cal=1024  --held=512  --test=10000
//        --no-eval (layer errors only)
//        --component (issue #13 item 2: also every variant with one scale per rank-1 component,
//        docs/component-scales.md; columns and top-1 keys end in "C")
//        --top1=published,publishedCalibrated,dataC,dataCentredCCalibrated (only these top-1
//        keys: the published peer and the pipeline's default, uncalibrated and calibrated)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web/wasm';
import { makeCalibrationBatches } from '../src/core/calibrate/batches.ts';
import { collectInputMoments } from '../src/core/calibrate/inputMoments.ts';
import type { CalibrationBatch } from '../src/core/calibrate/outputStats.ts';
import { parseCifar10 } from '../src/core/data/cifar10.ts';
import { evaluateModel } from '../src/core/eval/evaluate.ts';
import { createSession } from '../src/core/eval/session.ts';
import {
  type Allocation,
  allocationJobs,
  compressLayer,
  type LayerResult,
  reconstruct,
  selectLayers,
} from '../src/core/factor/index.ts';
import type { QafObjective } from '../src/core/factor/types.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import type { Kernels } from '../src/core/kernels/types.ts';
import { withGraphOutputs } from '../src/core/onnx/graphOutputs.ts';
import type { LayerInfo } from '../src/core/onnx/layers.ts';
import { writeModel } from '../src/core/onnx/reader.ts';
import { compressModel, type PreparedModel, prepareModel } from '../src/core/pipeline/index.ts';
import { formatTable } from '../src/core/util/textFormat.ts';

const shared = process.env.QAF_SHARED_DIR ?? join(import.meta.dirname, '../../shared');
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const modelName = flag('model') ?? 'resnet20';
const calImages = Number(flag('cal') ?? 1024);
const heldImages = Number(flag('held') ?? 512);
const testImages = Number(flag('test') ?? 10000);
const evaluate = !process.argv.includes('--no-eval');
const component = process.argv.includes('--component');
const top1Keys = flag('top1')?.split(',');
const read = (p: string) => new Uint8Array(readFileSync(join(shared, p)));

const kernels = await loadKernels();
const prepared = await prepareModel(read(`models/${modelName}_cifar10.onnx`));
const train = parseCifar10(read('data/cifar10_train_5k.bin'));
const test = parseCifar10(read('data/cifar10_test_batch.bin'));
const range = (from: number, n: number) => Int32Array.from({ length: n }, (_, i) => from + i);
const calBatches = makeCalibrationBatches(prepared.model, train, {
  images: calImages,
  indices: range(0, calImages),
});
const heldBatches = makeCalibrationBatches(prepared.model, train, {
  images: heldImages,
  indices: range(calImages, heldImages),
});

const rate = Number(flag('rate') ?? 2);
const settings = { method: 'admm', rate, bits: 4, preset: 'default', seed: 0 } as const;
const allocation = (objective: QafObjective): Allocation => ({
  settings: { ...settings, objective },
  selection: { spatialOnly: true },
});
const layers = selectLayers(prepared.layers, 'admm', { spatialOnly: true });

async function timed<T>(work: () => Promise<T> | T) {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, wallS: (performance.now() - wall) / 1000, cpuS: (used.user + used.system) / 1e6 };
}

const moments = await timed(() => collectInputMoments(kernels, prepared.model, layers, calBatches));
console.error(
  `input statistics of ${layers.length} layers on ${calImages} images: ${moments.cpuS.toFixed(1)} CPU s`,
);

// centre: the channel moment as the pipeline takes it for a model calibrated after compression.
async function factorize(
  objective: QafObjective,
  centre = false,
  scales: 'factor' | 'component' = 'factor',
) {
  const jobs = allocationJobs(prepared.model, prepared.layers, allocation(objective)).map((j) => {
    const m = moments.value.get(j.name);
    return { ...j, scales, ...(objective === 'data' && m && { inputMoments: { ...m, centre } }) };
  });
  return timed(() =>
    jobs.map((job) => {
      const r = compressLayer(kernels, job);
      if (r.warning) console.error(`${r.name}: ${r.warning}`);
      return r;
    }),
  );
}

const published = await factorize('published');
console.error(`published: ${published.cpuS.toFixed(1)} CPU s`);
const dataAware = await factorize('data');
console.error(`data-aware: ${dataAware.cpuS.toFixed(1)} CPU s`);
const centred = await factorize('data', true);
console.error(`data-aware, centred: ${centred.cpuS.toFixed(1)} CPU s`);
const perComponent = component
  ? {
      published: await factorize('published', false, 'component'),
      data: await factorize('data', false, 'component'),
      centred: await factorize('data', true, 'component'),
    }
  : null;
if (perComponent) {
  const cpu = Object.entries(perComponent).map(([k, v]) => `${k} ${v.cpuS.toFixed(1)}`);
  console.error(`per component: ${cpu.join(', ')} CPU s`);
}

// Held-out output errors: the exact patch second moment S = sum P P^T of every layer (C*kh*kw
// square), so that ||dW P||^2 = tr(dW S dW^T) for any weight.
const held = await patchMoments(kernels, prepared, layers, heldBatches);
function outputError(layer: LayerInfo, result: LayerResult): number {
  const s = held.get(layer.name)!;
  const w = weightOf(layer);
  const wh = reconstruct(result);
  const rows = layer.weightShape[0];
  const cols = w.length / rows;
  const d = Float32Array.from(w, (v, i) => v - wh[i]);
  return Math.sqrt(quadratic(kernels, d, s, rows, cols) / quadratic(kernels, w, s, rows, cols));
}

const rows = layers.map((layer, i) => {
  const p = published.value[i];
  const d = dataAware.value[i];
  const c = centred.value[i];
  return {
    layer: layer.name,
    rank: p.rank,
    weightErrorPublished: p.error,
    weightErrorData: d.error,
    outputErrorPublished: outputError(layer, p),
    outputErrorData: outputError(layer, d),
    outputErrorCentred: outputError(layer, c),
    objective: d.objective ?? 'published',
    ...(perComponent && {
      weightErrorPublishedC: perComponent.published.value[i].error,
      outputErrorPublishedC: outputError(layer, perComponent.published.value[i]),
      outputErrorDataC: outputError(layer, perComponent.data.value[i]),
      outputErrorCentredC: outputError(layer, perComponent.centred.value[i]),
    }),
  };
});
const f4 = (x: number) => x.toFixed(4);
console.log(
  formatTable(
    [
      'layer',
      'rank',
      'weight err pub',
      'weight err data',
      'output err pub',
      'output err data',
      'ratio',
      'output err centred',
      ...(perComponent
        ? ['weight err pub C', 'out err pub C', 'out err data C', 'out err cent. C']
        : []),
    ],
    rows.map((r) => [
      r.layer,
      String(r.rank),
      f4(r.weightErrorPublished),
      f4(r.weightErrorData),
      f4(r.outputErrorPublished),
      f4(r.outputErrorData),
      (r.outputErrorData / r.outputErrorPublished).toFixed(3),
      f4(r.outputErrorCentred),
      ...(perComponent
        ? [
            r.weightErrorPublishedC,
            r.outputErrorPublishedC,
            r.outputErrorDataC,
            r.outputErrorCentredC,
          ].map((x) => f4(x!))
        : []),
    ]),
    new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  ),
);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const lowerOnEvery = rows.every((r) => r.outputErrorData < r.outputErrorPublished);
console.log(
  `\nmean held-out output error: published ${f4(mean(rows.map((r) => r.outputErrorPublished)))}, ` +
    `data-aware ${f4(mean(rows.map((r) => r.outputErrorData)))}; lower on every layer: ${lowerOnEvery}`,
);

const top1: Record<string, number> = {};
if (evaluate) {
  const indices = range(0, Math.min(testImages, test.count));
  const accuracy = async (bytes: Uint8Array) =>
    (await evaluateModel({ modelBytes: bytes, dataset: test, indices, latencyRuns: 0 })).accuracy ??
    Number.NaN;
  top1.float = await accuracy(prepared.bytes);
  // The pipeline's default: second moment uncalibrated, centred channel moment calibrated.
  for (const [name, side, modes] of [
    ['published', published, [false, true]],
    ['data', dataAware, [false, true]],
    ['dataCentred', centred, [true]],
    ...(perComponent
      ? ([
          ['publishedC', perComponent.published, [false, true]],
          ['dataC', perComponent.data, [false]],
          ['dataCentredC', perComponent.centred, [true]],
        ] as const)
      : []),
  ] as const) {
    for (const calibrate of modes) {
      if (top1Keys && !top1Keys.includes(`${name}${calibrate ? 'Calibrated' : ''}`)) continue;
      const built = await compressModel({
        prepared,
        kernels,
        results: side.value,
        calibration: calibrate ? { batches: calBatches } : null,
        check: false,
      });
      top1[`${name}${calibrate ? 'Calibrated' : ''}`] = await accuracy(built.bytes);
      console.error(
        `${name} ${calibrate ? 'calibrated' : 'uncalibrated'}: ${(100 * top1[`${name}${calibrate ? 'Calibrated' : ''}`]).toFixed(2)} %`,
      );
    }
  }
  console.log(
    `\ntop-1 on ${indices.length} test images (first ${indices.length} of the test batch): float ${pct(top1.float)}; ` +
      `published ${pct(top1.published)} (calibrated ${pct(top1.publishedCalibrated)}); ` +
      `data-aware ${pct(top1.data)} (calibrated ${pct(top1.dataCalibrated)}; with the centred ` +
      `channel moment, the default for a calibrated model, ${pct(top1.dataCentredCalibrated)})`,
  );
}

console.log(
  JSON.stringify({
    bench: 'data-aware',
    model: modelName,
    rate,
    bits: 4,
    calibrationImages: calImages,
    heldOutImages: heldImages,
    testImages: evaluate ? Math.min(testImages, test.count) : 0,
    layers: rows,
    meanOutputErrorPublished: mean(rows.map((r) => r.outputErrorPublished)),
    meanOutputErrorData: mean(rows.map((r) => r.outputErrorData)),
    meanOutputErrorCentred: mean(rows.map((r) => r.outputErrorCentred)),
    ...(perComponent && {
      perComponent: {
        meanWeightErrorPublished: mean(rows.map((r) => r.weightErrorPublishedC!)),
        meanOutputErrorPublished: mean(rows.map((r) => r.outputErrorPublishedC!)),
        meanOutputErrorData: mean(rows.map((r) => r.outputErrorDataC!)),
        meanOutputErrorCentred: mean(rows.map((r) => r.outputErrorCentredC!)),
        outputErrorDataLowerOn: rows.filter((r) => r.outputErrorDataC! < r.outputErrorData).length,
        outputErrorCentredLowerOn: rows.filter((r) => r.outputErrorCentredC! < r.outputErrorCentred)
          .length,
        cpuSeconds: Object.fromEntries(Object.entries(perComponent).map(([k, v]) => [k, v.cpuS])),
      },
    }),
    outputErrorLowerOnEveryLayer: lowerOnEvery,
    top1,
    cpuSeconds: {
      inputStatistics: moments.cpuS,
      factorizePublished: published.cpuS,
      factorizeData: dataAware.cpuS,
      factorizeCentred: centred.cpuS,
    },
    loadavg: loadavg()[0],
  }),
);

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(100 * x).toFixed(2)} %`;
}

function weightOf(layer: LayerInfo): Float32Array {
  const job = allocationJobs(prepared.model, prepared.layers, {
    settings,
    selection: { names: [layer.name] },
  })[0];
  return job.weight;
}

/** d S d^T summed: d rows x cols, S cols x cols. */
function quadratic(k: Kernels, d: Float32Array, s: Float32Array, rows: number, cols: number) {
  const ds = new Float32Array(rows * cols);
  k.sgemm(false, false, rows, cols, cols, 1, d, cols, s, cols, 0, ds, cols);
  let sum = 0;
  for (let i = 0; i < ds.length; i++) sum += ds[i] * d[i];
  return sum;
}

/** Per layer, sum over images of P P^T for the exact im2col patches P (C*kh*kw x positions). */
async function patchMoments(
  k: Kernels,
  p: PreparedModel,
  ls: readonly LayerInfo[],
  batches: readonly CalibrationBatch[],
): Promise<Map<string, Float32Array>> {
  const nodes = p.model.graph.node ?? [];
  const inputs = ls.map((l) => nodes[l.nodeIndex].input![0]);
  const session = await createSession(writeModel(withGraphOutputs(p.model, inputs)), {
    graphOptimizationLevel: 'disabled',
  });
  const out = new Map<string, Float32Array>();
  for (const batch of batches) {
    const feed = new ort.Tensor('float32', batch.data, batch.dims);
    const res = await session.run({ [session.inputNames[0]]: feed }, inputs);
    ls.forEach((l, i) => {
      const t = res[inputs[i]];
      const [n, c, h, w] = t.dims as number[];
      const x = t.data as Float32Array;
      const [kh, kw] = l.kernel;
      const [sh, sw] = l.strides;
      const [pt, pl, pb, pr] = l.pads;
      const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
      const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
      const dim = c * kh * kw;
      const acc = out.get(l.name) ?? new Float32Array(dim * dim);
      const cols = new Float32Array(oh * ow * dim); // positions x (c, a, b)
      const prod = new Float32Array(dim * dim);
      for (let img = 0; img < n; img++) {
        cols.fill(0);
        const base = img * c * h * w;
        for (let y = 0; y < oh; y++) {
          for (let xo = 0; xo < ow; xo++) {
            const o = (y * ow + xo) * dim;
            for (let ch = 0; ch < c; ch++) {
              for (let a = 0; a < kh; a++) {
                const yi = y * sh - pt + a;
                if (yi < 0 || yi >= h) continue;
                for (let b = 0; b < kw; b++) {
                  const xi = xo * sw - pl + b;
                  if (xi >= 0 && xi < w)
                    cols[o + (ch * kh + a) * kw + b] = x[base + (ch * h + yi) * w + xi];
                }
              }
            }
          }
        }
        k.gram(cols, oh * ow, dim, prod);
        for (let j = 0; j < acc.length; j++) acc[j] += prod[j];
      }
      out.set(l.name, acc);
    });
    for (const t of Object.values(res)) t.dispose();
  }
  await session.release();
  return out;
}
