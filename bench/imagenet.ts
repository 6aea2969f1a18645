// `npm run bench:imagenet [-- --stages stem,layer1,layer2,layer3,layer4,fc]`: QAF of every
// factorizable layer of a ResNet-18-shaped ONNX model at 224 x 224 (stem 7x7/64 stride 2,
// max-pool, four stages of two basic blocks with 64/128/256/512 channels, 1x1 stride-2
// downsamples, global average pool, fc 1000), rate 2, 4 bits, one thread. The weights are
// seeded synthetic ones with a decaying spectrum (syntheticWeights.ts); the model is written
// to a temp file and read back, so layer discovery and shape inference run as for a user's
// file. Each layer runs the new and the old path of qafPaths.ts, alternating which goes first.
// The old path takes ~10 minutes (layer4's 512-channel convs): --stages picks stages.
// Then (--compare threads) the same layers through `qaf compress --json` itself, with 1 and N
// threads (--threads N, default every core): per-stage seconds in the worker threads, the whole
// command's wall clock and CPU seconds (its own and its threads', from /proc), and a check that
// both give the same errors. On a shared machine the wall clock of N threads measures the
// others too: read it next to the load average printed with it.
// --compare paths,threads (default both) picks the parts; --scales factor|component the grid
// scales of both paths (default: the engine's, DEFAULT_QAF_SCALES, which the CLI part runs
// too). Prints tables, then one JSON line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelLayerJobs } from '../src/core/factor/index.ts';
import { DEFAULT_QAF_SCALES, type QafScales } from '../src/core/factor/types.ts';
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
import {
  ensureWasmBuilt,
  kernelsNote,
  listArg,
  NEW_SETTINGS,
  OLD_SETTINGS,
  type PathResult,
  runPath,
} from './qafPaths.ts';
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

const argv = process.argv.slice(2);
ensureWasmBuilt();
const kernels = await loadKernels();
if (kernelsNote(kernels.name)) console.log(kernelsNote(kernels.name));
const stages = listArg(argv, 'stages', STAGES.join(','));
const parts = listArg(argv, 'compare', 'paths,threads');
const threads = Number(listArg(argv, 'threads', String(availableParallelism()))[0]);
if (!Number.isInteger(threads) || threads < 1) throw new Error('--threads: a whole number >= 1');
const scales = listArg(argv, 'scales', DEFAULT_QAF_SCALES)[0] as QafScales;
if (scales !== 'factor' && scales !== 'component')
  throw new Error(`--scales: factor or component, not ${scales}`);
const dir = mkdtempSync(join(tmpdir(), 'qaf-imagenet-'));
const file = join(dir, 'resnet18-synthetic.onnx');
writeFileSync(file, writeModel(resnet18(kernels)));
const model = readModel(new Uint8Array(readFileSync(file)));
const bytes = readFileSync(file).length;
const jobs = modelLayerJobs(model, { method: 'admm', rate, bits }).filter((j) =>
  stages.includes(stageOf(j.name)),
);
console.log(
  `ResNet-18-shaped synthetic model (${(bytes / 1e6).toFixed(1)} MB ONNX, 224 x 224), ${jobs.length} factorizable layers in ${stages.join(', ')}, rate ${rate}, ${bits} bits, kernels ${kernels.name}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

interface LayerRow {
  name: string;
  stage: string;
  shape: number[];
  rank: number;
  old: PathResult;
  new: PathResult;
}

/** Old vs new path per layer, one thread, CPU seconds. */
function comparePaths() {
  console.log(`\nold vs new path, one thread, CPU seconds, ${scales} scales`);
  // Warm-up (not reported): V8's first runs are unoptimised.
  for (const path of ['new', 'old'] as const) {
    const w = syntheticConv(kernels, 48, 48, 3, 5);
    runPath(kernels, w, [48, 48, 9], resolveRank([48, 48, 9], undefined, rate), bits, path, scales);
  }
  const rows: LayerRow[] = [];
  jobs.forEach((job, i) => {
    const dims = cpDims(job.shape);
    const rank = resolveRank(dims, job.rank, job.rate);
    const order = i % 2 === 0 ? (['new', 'old'] as const) : (['old', 'new'] as const);
    const runs: Partial<Record<'old' | 'new', PathResult>> = {};
    for (const path of order)
      runs[path] = runPath(kernels, job.weight, dims, rank, bits, path, scales);
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
    // A stage with no compressed layer (the stem on the raw input is quantize-only) has no figures.
    console.log(
      line(
        s.layers === 0
          ? [s.stage, '0', '-', '-', '-', '-', '-', '-']
          : [
              s.stage,
              String(s.layers),
              s.errorOld.toFixed(4),
              s.errorNew.toFixed(4),
              (s.worstDelta >= 0 ? '+' : '') + s.worstDelta.toFixed(4),
              s.secondsOld.toFixed(1),
              s.secondsNew.toFixed(1),
              `${(s.secondsOld / s.secondsNew).toFixed(1)}x`,
            ],
      ),
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
  return {
    old: OLD_SETTINGS,
    new: NEW_SETTINGS,
    stages: summary,
    secondsOld: totals.old,
    secondsNew: totals.new,
    layers: rows,
  };
}

interface CliLayer {
  name: string;
  error: number;
  ms: number;
}
interface CliRun {
  threads: number;
  wallSeconds: number;
  cpuSeconds: number;
  load: number[];
  layers: CliLayer[];
}

// CPU seconds of this process's finished children (utime + stime of waited-for children,
// fields 16 and 17 of /proc/self/stat, in clock ticks); null where /proc is missing.
function childCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // fields 16, 17; USER_HZ = 100
  } catch {
    return null;
  }
}

/** `qaf compress` on the model's selected layers, with `n` threads, as a user runs it. */
function runCli(n: number): CliRun {
  const qaf = join(import.meta.dirname, '../bin/qaf');
  const selected = stages.length === STAGES.length ? [] : ['--layers', `^(${stages.join('|')})`];
  const args = [qaf, 'compress', file, '--method', 'admm', '--rate', String(rate)];
  args.push('--bits', String(bits), '--threads', String(n), '--json', ...selected);
  const cpu0 = childCpuSeconds();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu1 = childCpuSeconds();
  if (r.status !== 0) throw new Error(`qaf compress --threads ${n} failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { layers: CliLayer[] };
  return {
    threads: n,
    wallSeconds,
    cpuSeconds: cpu0 === null || cpu1 === null ? Number.NaN : cpu1 - cpu0,
    load: loadavg(),
    layers: out.layers.map(({ name, error, ms }) => ({ name, error, ms })),
  };
}

/** The CLI with 1 and N threads: per-stage thread seconds, wall and CPU, same errors. */
function compareThreads() {
  const counts = threads > 1 ? [1, threads] : [1];
  console.log(
    `\nqaf compress --threads ${counts.join(' vs ')} (the whole command: parse, ${jobs.length} layers, no -o)`,
  );
  const runs = counts.map(runCli);
  const [one, many] = [runs[0], runs.at(-1)!];
  const same = one.layers.every((l, i) => l.error === many.layers[i]?.error);
  const stageRows = stages.map((stage) => {
    const of = (run: CliRun) => run.layers.filter((l) => stageOf(l.name) === stage);
    const ms = (run: CliRun) => of(run).reduce((s, l) => s + l.ms, 0) / 1000;
    const layers = of(one);
    return {
      stage,
      layers: layers.length,
      meanError: layers.reduce((s, l) => s + l.error, 0) / Math.max(1, layers.length),
      threadSeconds: Object.fromEntries(runs.map((r) => [r.threads, ms(r)])),
    };
  });
  const header = ['stage', 'layers', 'error', ...runs.map((r) => `s ${r.threads}t`)];
  const widths = [8, 6, 7, ...runs.map(() => 8)];
  const line = (cells: string[]) =>
    cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  console.log('per stage: seconds inside the threads (sum of layer times)');
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const s of stageRows) {
    console.log(
      line([
        s.stage,
        String(s.layers),
        s.meanError.toFixed(4),
        ...runs.map((r) => s.threadSeconds[r.threads].toFixed(1)),
      ]),
    );
  }
  for (const r of runs) {
    console.log(
      `--threads ${r.threads}: wall ${r.wallSeconds.toFixed(1)} s, CPU ${r.cpuSeconds.toFixed(1)} s (all threads), load after ${r.load.map((l) => l.toFixed(1)).join(' ')}`,
    );
  }
  const speedup = one.wallSeconds / many.wallSeconds;
  console.log(
    `errors ${same ? 'identical' : 'DIFFER'} between 1 and ${threads} threads; wall speed-up ${speedup.toFixed(2)}x` +
      ` (with ${availableParallelism()} cores and a load average of ${loadavg()[0].toFixed(1)}, the wall clock of ${threads} threads is only fair on an idle machine)`,
  );
  return { runs, stages: stageRows, identical: same, wallSpeedup: speedup };
}

const paths = parts.includes('paths') ? comparePaths() : null;
const threaded = parts.includes('threads') ? compareThreads() : null;
rmSync(dir, { recursive: true });
console.log(
  JSON.stringify({
    bench: 'imagenet',
    model: 'resnet18-synthetic',
    rate,
    bits,
    kernels: kernels.name,
    scales,
    cores: availableParallelism(),
    load: loadavg(),
    ...(paths ?? {}),
    threads: threaded,
  }),
);
