// `npm run bench:imagenet [-- --stages stem,layer1,layer2,layer3,layer4,fc]`: QAF of every
// factorizable layer of a ResNet-18-shaped ONNX model at 224 x 224 (stem 7x7/64 stride 2,
// max-pool, four stages of two basic blocks with 64/128/256/512 channels, 1x1 stride-2
// downsamples, global average pool, fc 1000), rate 2, 4 bits, one thread. The weights are
// seeded synthetic ones with a decaying spectrum (syntheticWeights.ts); the model is written
// to a temp file and read back, so layer discovery and shape inference run as for a user's
// file. Each layer runs the new and the old path of qafPaths.ts, alternating which goes first.
// The old path takes ~10 minutes (layer4's 512-channel convs): --stages picks stages.
// Prints per-stage time and error, then one JSON line.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelLayerJobs } from '../src/core/factor/index.ts';
import { type Kernels, loadKernels } from '../src/core/kernels/index.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../src/core/onnx/builders.ts';
import {
  DataType,
  type NodeProto,
  readModel,
  type TensorProto,
  writeModel,
} from '../src/core/onnx/index.ts';
import { normalSampler } from '../src/core/util/prng.ts';
import { cpDims, resolveRank } from '../src/core/util/rank.ts';
import { listArg, NEW_SETTINGS, OLD_SETTINGS, type PathResult, runPath } from './qafPaths.ts';
import { syntheticConv, syntheticMatrix } from './syntheticWeights.ts';

const rate = 2;
const bits = 4;
const STAGES = ['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'fc'];

/** Builds the graph node by node, with seeded weights and small biases (BatchNorm folded). */
class ResNetBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private seed = 1;

  constructor(private readonly kernels: Kernels) {}

  conv(name: string, x: string, cIn: number, cOut: number, k: number, stride: number): string {
    const seed = this.seed++;
    const w = syntheticConv(this.kernels, cOut, cIn, k, 7919 * seed);
    const next = normalSampler(seed);
    const b = Float32Array.from({ length: cOut }, () => 0.01 * next());
    this.initializers.push(makeTensor(`${name}.weight`, DataType.FLOAT, [cOut, cIn, k, k], w));
    this.initializers.push(makeTensor(`${name}.bias`, DataType.FLOAT, [cOut], b));
    const pad = (k - 1) >> 1;
    this.nodes.push(
      makeNode(
        'Conv',
        [x, `${name}.weight`, `${name}.bias`],
        [name],
        { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] },
        { name },
      ),
    );
    return name;
  }

  op(opType: string, inputs: string[], name: string, attributes = {}): string {
    this.nodes.push(makeNode(opType, inputs, [name], attributes, { name }));
    return name;
  }

  block(name: string, x: string, cIn: number, cOut: number, stride: number): string {
    const h = this.op(
      'Relu',
      [this.conv(`${name}.conv1`, x, cIn, cOut, 3, stride)],
      `${name}.relu1`,
    );
    const y = this.conv(`${name}.conv2`, h, cOut, cOut, 3, 1);
    const shortcut =
      stride === 1 && cIn === cOut ? x : this.conv(`${name}.downsample`, x, cIn, cOut, 1, stride);
    return this.op('Relu', [this.op('Add', [y, shortcut], `${name}.add`)], `${name}.relu2`);
  }

  fc(x: string, cIn: number, cOut: number): string {
    const w = syntheticMatrix(this.kernels, cOut, cIn, 7919 * this.seed++);
    this.initializers.push(makeTensor('fc.weight', DataType.FLOAT, [cOut, cIn], w));
    this.initializers.push(makeTensor('fc.bias', DataType.FLOAT, [cOut], new Float32Array(cOut)));
    return this.op('Gemm', [x, 'fc.weight', 'fc.bias'], 'fc', { transB: 1 });
  }
}

function resnet18(kernels: Kernels) {
  const b = new ResNetBuilder(kernels);
  let x = b.op('Relu', [b.conv('stem', 'input', 3, 64, 7, 2)], 'stem.relu');
  x = b.op('MaxPool', [x], 'maxpool', {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  let c = 64;
  [64, 128, 256, 512].forEach((width, s) => {
    x = b.block(`layer${s + 1}.0`, x, c, width, s === 0 ? 1 : 2);
    x = b.block(`layer${s + 1}.1`, x, width, width, 1);
    c = width;
  });
  x = b.op('Flatten', [b.op('GlobalAveragePool', [x], 'avgpool')], 'flatten', { axis: 1 });
  b.fc(x, 512, 1000);
  const graph = makeGraph({
    name: 'resnet18-synthetic',
    nodes: b.nodes,
    inputs: [makeValueInfo('input', DataType.FLOAT, [1, 3, 224, 224])],
    outputs: [makeValueInfo('fc', DataType.FLOAT, [1, 1000])],
    initializers: b.initializers,
  });
  return makeModel(graph, { opset: 13 });
}

const stageOf = (layer: string) => STAGES.find((s) => layer.startsWith(s)) ?? 'other';

const kernels = await loadKernels();
const stages = listArg(process.argv.slice(2), 'stages', STAGES.join(','));
const dir = mkdtempSync(join(tmpdir(), 'qaf-imagenet-'));
const file = join(dir, 'resnet18-synthetic.onnx');
writeFileSync(file, writeModel(resnet18(kernels)));
const model = readModel(new Uint8Array(readFileSync(file)));
const bytes = readFileSync(file).length;
rmSync(dir, { recursive: true });
const jobs = modelLayerJobs(model, { method: 'admm', rate, bits }).filter((j) =>
  stages.includes(stageOf(j.name)),
);
console.log(
  `ResNet-18-shaped synthetic model (${(bytes / 1e6).toFixed(1)} MB ONNX, 224 x 224), ${jobs.length} factorizable layers in ${stages.join(', ')}, rate ${rate}, ${bits} bits, kernels ${kernels.name}, one thread, CPU seconds, load ${loadavg()[0].toFixed(1)}`,
);
// Warm-up (not reported): V8's first runs are unoptimised.
for (const path of ['new', 'old'] as const) {
  const w = syntheticConv(kernels, 48, 48, 3, 5);
  runPath(kernels, w, [48, 48, 9], resolveRank([48, 48, 9], undefined, rate), bits, path);
}

interface LayerRow {
  name: string;
  stage: string;
  shape: number[];
  rank: number;
  old: PathResult;
  new: PathResult;
}
const rows: LayerRow[] = [];
jobs.forEach((job, i) => {
  const dims = cpDims(job.shape);
  const rank = resolveRank(dims, job.rank, job.rate);
  const order = i % 2 === 0 ? (['new', 'old'] as const) : (['old', 'new'] as const);
  const runs: Partial<Record<'old' | 'new', PathResult>> = {};
  for (const path of order) runs[path] = runPath(kernels, job.weight, dims, rank, bits, path);
  const row = {
    name: job.name,
    stage: stageOf(job.name),
    shape: job.shape,
    rank,
    old: runs.old!,
    new: runs.new!,
  };
  rows.push(row);
  const total = (r: PathResult) => (r.initSeconds + r.admmSeconds).toFixed(2);
  console.log(
    `  ${job.name.padEnd(22)} ${job.shape.join('x').padEnd(12)} rank ${String(rank).padStart(4)}  error old ${row.old.error.toFixed(4)} new ${row.new.error.toFixed(4)}  s old ${total(row.old)} new ${total(row.new)}`,
  );
});

const seconds = (r: PathResult) => r.initSeconds + r.admmSeconds;
const summary = stages.map((stage) => {
  const of = rows.filter((r) => r.stage === stage);
  const sum = (f: (r: LayerRow) => number) => of.reduce((s, r) => s + f(r), 0);
  return {
    stage,
    layers: of.length,
    errorOld: sum((r) => r.old.error) / Math.max(of.length, 1),
    errorNew: sum((r) => r.new.error) / Math.max(of.length, 1),
    worstDelta: Math.max(...of.map((r) => r.new.error - r.old.error)),
    secondsOld: sum((r) => seconds(r.old)),
    secondsNew: sum((r) => seconds(r.new)),
  };
});
const header = ['stage', 'layers', 'err old', 'err new', 'worst d', 's old', 's new', 'speed-up'];
const widths = [8, 6, 7, 7, 8, 8, 7, 8];
const line = (cells: string[]) =>
  cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
const totals = { old: 0, new: 0 };
for (const s of summary) {
  totals.old += s.secondsOld;
  totals.new += s.secondsNew;
  console.log(
    line([
      s.stage,
      String(s.layers),
      s.errorOld.toFixed(4),
      s.errorNew.toFixed(4),
      (s.worstDelta >= 0 ? '+' : '') + s.worstDelta.toFixed(4),
      s.secondsOld.toFixed(1),
      s.secondsNew.toFixed(1),
      `${(s.secondsOld / s.secondsNew).toFixed(1)}x`,
    ]),
  );
}
const meanOf = (f: (r: LayerRow) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
console.log(
  line([
    'all',
    String(rows.length),
    meanOf((r) => r.old.error).toFixed(4),
    meanOf((r) => r.new.error).toFixed(4),
    '',
    totals.old.toFixed(1),
    totals.new.toFixed(1),
    `${(totals.old / totals.new).toFixed(1)}x`,
  ]),
);
console.log(
  JSON.stringify({
    bench: 'imagenet',
    model: 'resnet18-synthetic',
    rate,
    bits,
    kernels: kernels.name,
    old: OLD_SETTINGS,
    new: NEW_SETTINGS,
    load: loadavg()[0],
    stages: summary,
    secondsOld: totals.old,
    secondsNew: totals.new,
    layers: rows,
  }),
);
