// `npm run bench:latency`: are compressed models slower? (issue #14 item 4.) ResNet-20 and
// ResNet-56 (QAF_SHARED_DIR, default ../shared) compressed as `qaf compress --rate 2 --bits 4`
// does by default (QAF/ADMM, default preset, every factorizable layer, other weights 8-bit, no
// calibration: latency depends on the graph, not on the values), the files written to --out
// (default tmp/latency/), then timed in onnxruntime-web's wasm backend under Node with 1 and 2
// threads at batch 1 and 32 (each thread count in its own process: ort reads numThreads once),
// and in native onnxruntime-node when it is installed (it is not a dependency). Per model the
// variants run interleaved (A B C, then C B A, ...) after warm-up; medians and the ratio to the
// original. The peer is the original model, timed in the same process between the same runs.
// `--profile` adds onnxruntime's per-op-type kernel time at 1 thread (profiling slows runs ~10x
// in the wasm build, so read its shares, not its ms).
// Prints the load average, a table, then one JSON line.
//
// Flags: --models=resnet20,resnet56  --threads=1,2  --batches=1,32  --runs1=60  --runs32=12
//        --out=DIR  --profile
// Variants (src/core/rewrite/weightForm.ts): original; compressed (the default file: weights
// through DequantizeLinear, run at every inference); weights at load (Cast + Mul, folded by
// onnxruntime when the session is created; same file size); float weights (float32 in the file);
// latency guard (weights at load, and the factorized convs slower alone than the original conv
// at batch 1 merged back into one conv computed from the factors at load: --latency-guard).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { LatencyTable } from '../src/core/cost/latencyTable.ts';
import { measureLatencyTable } from '../src/core/eval/layerLatency.ts';
import { percentile } from '../src/core/eval/metrics.ts';
import { configureOrt, createSession, runScores, runtimeName } from '../src/core/eval/session.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { compressModel, prepareModel } from '../src/core/pipeline/index.ts';
import { mergeSlowerLayers, slowerFactorizedLayers } from '../src/core/pipeline/latencyGuard.ts';
import { withWeightForm } from '../src/core/rewrite/weightForm.ts';
import { formatTable } from '../src/core/util/textFormat.ts';

const shared = process.env.QAF_SHARED_DIR ?? join(import.meta.dirname, '../../shared');
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const list = (name: string, fallback: string) => (flag(name) ?? fallback).split(',');
const CHILD_TAG = 'LATENCY_CHILD ';

interface ChildTiming {
  runtime: string;
  threads: number;
  batch: number;
  model: string;
  variant: string;
  medianMs: number;
  p90Ms: number;
  /** Median process CPU ms per call. */
  cpuMs: number;
  runs: number;
}

/** Deterministic inputs in [-1, 1) (the values do not matter for time). */
function inputOf(n: number): Float32Array {
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

/**
 * Runs each call `runs` times after `warmup` rounds, interleaved (A B C, then C B A, ...), and
 * returns per call the median wall ms and the median process CPU ms (all threads: with 2 wasm
 * threads it includes their spinning). CPU ms moves far less than wall ms on a busy machine.
 */
async function interleaved(calls: (() => Promise<unknown>)[], runs: number, warmup: number) {
  for (let w = 0; w < warmup; w++) for (const c of calls) await c();
  const wall = calls.map(() => new Float64Array(runs));
  const cpu = calls.map(() => new Float64Array(runs));
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < calls.length; k++) {
      const i = r % 2 ? calls.length - 1 - k : k;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await calls[i]();
      wall[i][r] = performance.now() - t0;
      const used = process.cpuUsage(c0);
      cpu[i][r] = (used.user + used.system) / 1000;
    }
  }
  return calls.map((_, i) => ({
    medianMs: percentile(wall[i], 50),
    p90Ms: percentile(wall[i], 90),
    cpuMs: percentile(cpu[i], 50),
    runs,
  }));
}

// ---- child: time the given files in one runtime at one thread count -------------------------
async function child(): Promise<void> {
  const threads = Number(flag('threads'));
  const batches = list('batches', '1,32').map(Number);
  const runtime = flag('runtime') ?? 'web';
  const groups = JSON.parse(readFileSync(flag('plan') ?? '', 'utf8')) as {
    model: string;
    variants: { name: string; path: string }[];
  }[];
  const runsFor = (b: number) => Number(b === 1 ? (flag('runs1') ?? 60) : (flag('runs32') ?? 12));
  const out: ChildTiming[] = [];
  if (runtime === 'web') {
    const dist = `${dirname(createRequire(import.meta.url).resolve('onnxruntime-web/wasm'))}/`;
    configureOrt(threads > 1 ? { numThreads: threads, wasmPaths: dist } : { numThreads: 1 });
    for (const g of groups) {
      const sessions: Awaited<ReturnType<typeof createSession>>[] = [];
      for (const v of g.variants) sessions.push(await createSession(readFileSync(v.path)));
      for (const batch of batches) {
        const dims = [batch, 3, 32, 32];
        const x = inputOf(batch * 3 * 32 * 32);
        const stats = await interleaved(
          sessions.map((s) => () => runScores(s, x, dims)),
          runsFor(batch),
          batch === 1 ? 10 : 3,
        );
        g.variants.forEach((v, i) => {
          out.push({
            runtime: runtimeName,
            threads,
            batch,
            model: g.model,
            variant: v.name,
            ...stats[i],
          });
        });
      }
      for (const s of sessions) await s.release();
    }
  } else {
    // Native onnxruntime-node: only when installed (not a dependency: its install script may fetch).
    const name = 'onnxruntime-node';
    const native = (await import(name)) as typeof import('onnxruntime-web/wasm');
    for (const g of groups) {
      const sessions: Awaited<ReturnType<typeof native.InferenceSession.create>>[] = [];
      for (const v of g.variants) {
        sessions.push(
          await native.InferenceSession.create(readFileSync(v.path), {
            intraOpNumThreads: threads,
            interOpNumThreads: 1,
            graphOptimizationLevel: 'all',
          } as never),
        );
      }
      for (const batch of batches) {
        const dims = [batch, 3, 32, 32];
        const x = inputOf(batch * 3 * 32 * 32);
        const stats = await interleaved(
          sessions.map(
            (s) => () => s.run({ [s.inputNames[0]]: new native.Tensor('float32', x, dims) }),
          ),
          runsFor(batch),
          batch === 1 ? 10 : 3,
        );
        g.variants.forEach((v, i) => {
          out.push({
            runtime: 'onnxruntime-node (native)',
            threads,
            batch,
            model: g.model,
            variant: v.name,
            ...stats[i],
          });
        });
      }
    }
  }
  process.stdout.write(`${CHILD_TAG}${JSON.stringify(out)}\n`);
}

// ---- child: onnxruntime's profile, kernel time summed by op type ------------------------------
async function profileChild(): Promise<void> {
  const path = flag('file') ?? '';
  const batch = Number(flag('batch') ?? 1);
  const runs = Number(flag('runs') ?? 20);
  configureOrt({ numThreads: 1 });
  const ort = await import('onnxruntime-web/wasm');
  const session = await ort.InferenceSession.create(readFileSync(path), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    enableProfiling: true,
  });
  const dims = [batch, 3, 32, 32];
  const x = new ort.Tensor('float32', inputOf(batch * 3 * 32 * 32), dims);
  for (let r = 0; r < runs + 2; r++) await session.run({ [session.inputNames[0]]: x });
  // The wasm backend prints the Chrome trace to stdout; the parent reads it.
  session.endProfiling();
  process.stdout.write(`${CHILD_TAG}${JSON.stringify({ runs, warm: 2 })}\n`);
}

/** Process CPU time in ms: with one wasm thread, the time the inference itself took. */
const cpuClockMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// ---- child: the latency table of one model's layers (1 thread) -----------------------------
async function layersChild(): Promise<void> {
  configureOrt({ numThreads: 1 });
  const bytes = new Uint8Array(readFileSync(flag('file') ?? ''));
  const ranks = JSON.parse(readFileSync(flag('ranks') ?? '', 'utf8')) as Record<string, number>;
  const batch = Number(flag('batch') ?? 1);
  const prepared = await prepareModel(bytes);
  const requests = prepared.layers
    .filter((l) => l.name in ranks)
    .map((layer) => ({ layer, ranks: ranks[layer.name] ? [ranks[layer.name]] : [] }));
  const table = await measureLatencyTable(bytes, prepared.layers[0]?.inputShape ?? [], requests, {
    batch,
    runs: batch === 1 ? 40 : 8,
    warmupRuns: batch === 1 ? 5 : 4,
    clock: cpuClockMs,
    clockName: 'cpu',
  });
  process.stdout.write(`${CHILD_TAG}${JSON.stringify(table)}\n`);
}

interface TraceEvent {
  cat: string;
  name: string;
  dur: number;
  ts: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] };
}

/** Kernel microseconds per run by op type (a depthwise Conv is its own type), warm runs only. */
function opTypeTimes(stdout: string, warm: number, runs: number): Record<string, number> {
  const events: TraceEvent[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim().replace(/,$/, '');
    if (!t.startsWith('{"cat"')) continue;
    try {
      events.push(JSON.parse(t) as TraceEvent);
    } catch {
      // A line cut by the pipe: skipped.
    }
  }
  const modelRuns = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const after = modelRuns[warm - 1] ? modelRuns[warm - 1].ts + modelRuns[warm - 1].dur : 0;
  const byOp: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== 'Node' || e.ts < after || !e.name.endsWith('_kernel_time')) continue;
    let op = e.args?.op_name ?? '?';
    const w = e.args?.input_type_shape?.[1];
    const wDims = w && Object.values(w)[0];
    if (op.endsWith('Conv') && wDims?.length === 4) {
      if (wDims[1] === 1 && wDims[2] > 1) op += ' depthwise';
      else if (wDims[2] === 1 && wDims[3] === 1) op += ' 1x1';
      else op += ` ${wDims[2]}x${wDims[3]}`;
    }
    byOp[op] = (byOp[op] ?? 0) + e.dur / runs;
  }
  return byOp;
}

function runChild(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [...process.execArgv, import.meta.filename, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('error', rej);
    p.on('close', (code) =>
      code === 0 ? res(out) : rej(new Error(`child ${args.join(' ')} exited ${code}`)),
    );
  });
}

const childPayload = (out: string) => {
  const line = out.split('\n').find((l) => l.startsWith(CHILD_TAG));
  if (!line) throw new Error('the timing child printed no result');
  return JSON.parse(line.slice(CHILD_TAG.length));
};

/** The rewritten forms compute what the written file computes (to 1e-3 on scores; batch 2). */
async function sameOutputs(reference: Uint8Array, others: Uint8Array[], model: string) {
  const dims = [2, 3, 32, 32];
  const x = inputOf(2 * 3 * 32 * 32);
  const run = async (bytes: Uint8Array) => {
    const s = await createSession(bytes);
    const { scores } = await runScores(s, x, dims);
    await s.release();
    return scores;
  };
  const want = await run(reference);
  for (const bytes of others) {
    const got = await run(bytes);
    const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
    if (worst > 1e-3) throw new Error(`${model}: a weight form changed the scores by ${worst}`);
  }
}

// ---- parent -------------------------------------------------------------------------------
async function main(): Promise<void> {
  const models = list('models', 'resnet20,resnet56');
  const threadCounts = list('threads', '1,2').map(Number);
  const batches = flag('batches') ?? '1,32';
  const outDir = resolve(flag('out') ?? join(import.meta.dirname, '../tmp/latency'));
  mkdirSync(outDir, { recursive: true });
  const kernels = await loadKernels();
  const started = performance.now();
  const load0 = loadavg();
  const plan: { model: string; variants: { name: string; path: string; bytes: number }[] }[] = [];
  const compressCpu: Record<string, number> = {};
  const ranksOf = new Map<string, Record<string, number>>();
  const guardNotes: Record<string, string> = {};
  for (const model of models) {
    const original = new Uint8Array(readFileSync(join(shared, `models/${model}_cifar10.onnx`)));
    const cpu = process.cpuUsage();
    const prepared = await prepareModel(original);
    const built = await compressModel({
      prepared,
      kernels,
      allocation: {
        settings: { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0 },
        selection: {},
      },
      calibration: null,
      checkPeer: false,
      onLayer: undefined,
    });
    const used = process.cpuUsage(cpu);
    compressCpu[model] = (used.user + used.system) / 1e6;
    const factorized = built.results.filter((r) => r.factors.length > 1).length;
    console.error(
      `${model}: ${built.results.length} layers compressed (${factorized} factorized) in ` +
        `${compressCpu[model].toFixed(1)} CPU s; check: ${built.check ? 'loads and runs' : 'not run'}`,
    );
    const atLoad = withWeightForm(built.bytes, 'load').bytes;
    const float = withWeightForm(built.bytes, 'float').bytes;
    // qaf compress --latency-guard: factorized convs slower alone than the original, merged back.
    configureOrt({ numThreads: 1 });
    const { slower } = await slowerFactorizedLayers(prepared, built.results, { clock: cpuClockMs });
    const factorized3 = built.results.filter((r) => r.factors.length === 3).length;
    const guard = mergeSlowerLayers(prepared, atLoad, slower, factorized3, 1);
    guardNotes[model] = guard.note;
    console.error(`${model}: ${guard.note}`);
    // Loaded and run before they are reported (house rule); same outputs as the written file.
    await sameOutputs(built.bytes, [atLoad, float, guard.bytes], model);
    const files = [
      { name: 'original', bytes: original },
      { name: 'compressed', bytes: built.bytes },
      { name: 'compressed, weights at load', bytes: atLoad },
      { name: 'compressed, float weights', bytes: float },
      { name: 'compressed, latency guard', bytes: guard.bytes },
    ].map((v) => {
      const path = join(outDir, `${model}_${v.name.replace(/\W+/g, '_')}.onnx`);
      writeFileSync(path, v.bytes);
      return { name: v.name, path, bytes: v.bytes.length };
    });
    plan.push({ model, variants: files });
    const ranks = Object.fromEntries(
      built.results.map((r) => [r.name, r.factors.length > 1 ? r.rank : 0]),
    );
    ranksOf.set(model, ranks);
    writeFileSync(join(outDir, `${model}_ranks.json`), JSON.stringify(ranks));
  }
  const planPath = join(outDir, 'plan.json');
  writeFileSync(planPath, JSON.stringify(plan));

  let nativeInstalled = true;
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch {
    nativeInstalled = false;
  }
  const timings: ChildTiming[] = [];
  const common = [`--plan=${planPath}`, `--batches=${batches}`];
  for (const k of ['runs1', 'runs32']) if (flag(k)) common.push(`--${k}=${flag(k)}`);
  for (const threads of threadCounts) {
    console.error(`timing onnxruntime-web wasm, ${threads} thread(s)...`);
    timings.push(
      ...childPayload(
        await runChild(['--child', `--threads=${threads}`, '--runtime=web', ...common]),
      ),
    );
    if (nativeInstalled) {
      console.error(`timing onnxruntime-node, ${threads} thread(s)...`);
      timings.push(
        ...childPayload(
          await runChild(['--child', `--threads=${threads}`, '--runtime=node', ...common]),
        ),
      );
    }
  }

  const rows: string[][] = [];
  const ratios: Record<string, number> = {};
  const cpuRatios: Record<string, number> = {};
  const key = (t: ChildTiming) => `${t.runtime}|${t.threads}|${t.batch}|${t.model}`;
  const originals = new Map(
    timings.filter((t) => t.variant === 'original').map((t) => [key(t), t]),
  );
  for (const t of timings) {
    const o = originals.get(key(t));
    const ratio = o ? t.medianMs / o.medianMs : Number.NaN;
    const cpuRatio = o ? t.cpuMs / o.cpuMs : Number.NaN;
    if (t.variant !== 'original') {
      const runtime = t.runtime.startsWith('onnxruntime-web') ? 'web' : 'native';
      const k = `${t.model} ${t.variant} ${runtime} t${t.threads} b${t.batch}`;
      ratios[k] = round(ratio, 3);
      cpuRatios[k] = round(cpuRatio, 3);
    }
    rows.push([
      t.runtime,
      String(t.threads),
      String(t.batch),
      t.model,
      t.variant,
      t.medianMs.toFixed(2),
      t.p90Ms.toFixed(2),
      (t.medianMs / t.batch).toFixed(3),
      t.variant === 'original' ? '(peer)' : `${ratio.toFixed(2)}x`,
      t.cpuMs.toFixed(2),
      t.variant === 'original' ? '(peer)' : `${cpuRatio.toFixed(2)}x`,
    ]);
  }

  // Per layer, alone, at the model's shapes (the cost model's latency table), 1 thread.
  const layerTables: Record<string, LatencyTable> = {};
  if (!process.argv.includes('--no-layers')) {
    for (const g of plan) {
      for (const batch of list('layer-batches', '1,32').map(Number)) {
        console.error(`timing ${g.model}'s layers alone, batch ${batch}...`);
        const out = await runChild([
          '--layers-child',
          `--file=${g.variants[0].path}`,
          `--ranks=${join(outDir, `${g.model}_ranks.json`)}`,
          `--batch=${batch}`,
        ]);
        layerTables[`${g.model} b${batch}`] = childPayload(out) as LatencyTable;
      }
    }
  }
  const layerRows: string[][] = [];
  const layerSummary: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(layerTables)) {
    const model = name.split(' ')[0];
    const ranks = ranksOf.get(model) ?? {};
    let slower = 0;
    let sumFloat = 0;
    let sumRank = 0;
    for (const l of t.layers) {
      const r = ranks[l.name];
      const f = l.ms.float ?? Number.NaN;
      const c = r ? (l.ms[`rank:${r}`] ?? Number.NaN) : (l.ms.quantize ?? Number.NaN);
      sumFloat += f;
      sumRank += c;
      if (c > f) slower++;
      layerRows.push([
        name,
        l.name,
        r ? String(r) : '-',
        f.toFixed(3),
        (l.ms.keep ?? Number.NaN).toFixed(3),
        (l.ms.quantize ?? Number.NaN).toFixed(3),
        c.toFixed(3),
        `${(c / f).toFixed(2)}x`,
      ]);
    }
    const measured = timings.find(
      (x) =>
        x.model === model &&
        x.threads === 1 &&
        x.batch === t.batch &&
        x.variant === 'compressed, weights at load' &&
        x.runtime === runtimeName,
    );
    const original = timings.find(
      (x) =>
        x.model === model &&
        x.threads === 1 &&
        x.batch === t.batch &&
        x.variant === 'original' &&
        x.runtime === runtimeName,
    );
    layerSummary[name] = {
      layers: t.layers.length,
      factorizedSlower: slower,
      layersFloatMs: round(sumFloat, 3),
      layersCompressedMs: round(sumRank, 3),
      restMs: round(t.restMs, 3),
      originalMs: round(t.modelMs, 3),
      predictedCompressedMs: round(t.restMs + sumRank, 3),
      measuredOriginalCpuMs: original ? round(original.cpuMs, 3) : null,
      measuredCompressedCpuMs: measured ? round(measured.cpuMs, 3) : null,
    };
  }

  const profiles: Record<string, Record<string, number>> = {};
  if (process.argv.includes('--profile')) {
    for (const g of plan) {
      for (const v of g.variants) {
        for (const batch of [1, 32]) {
          const runs = batch === 1 ? 20 : 4;
          const out = await runChild([
            '--profile-child',
            `--file=${v.path}`,
            `--batch=${batch}`,
            `--runs=${runs}`,
          ]);
          const { warm } = childPayload(out) as { warm: number };
          profiles[`${g.model} ${v.name} b${batch}`] = opTypeTimes(out, warm, runs);
        }
      }
    }
  }
  const load1 = loadavg();
  const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(
    `\nLatency (ms per call, median of interleaved runs), load average at start ${fmtLoad(load0)}, ` +
      `at end ${fmtLoad(load1)} (2 cores shared: a busy machine inflates wall ms; CPU ms, the ` +
      `process's CPU time per call, all threads, moves less)`,
  );
  console.log(
    formatTable(
      [
        'runtime',
        'threads',
        'batch',
        'model',
        'variant',
        'median ms',
        'p90 ms',
        'ms/image',
        'vs original',
        'CPU ms',
        'CPU vs original',
      ],
      rows,
    ),
  );
  if (!nativeInstalled) {
    console.log(
      'native onnxruntime-node: not installed in node_modules (not a dependency); not measured',
    );
  }
  for (const [name, byOp] of Object.entries(profiles)) {
    const total = Object.values(byOp).reduce((a, b) => a + b, 0);
    const parts = Object.entries(byOp)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(
        ([op, us]) => `${op} ${(us / 1000).toFixed(2)} ms (${((100 * us) / total).toFixed(0)} %)`,
      );
    console.log(
      `profile ${name}, 1 thread, kernel time ${(total / 1000).toFixed(2)} ms/run: ${parts.join(', ')}`,
    );
  }
  if (layerRows.length) {
    console.log(
      "\nEach layer alone at the model's shapes (onnxruntime-web wasm, 1 thread, weights at load, " +
        "median CPU ms, call overhead taken off): the cost model's latency table",
    );
    console.log(
      formatTable(
        ['model', 'layer', 'rank', 'float', 'keep (w8)', 'quantize', 'as compressed', 'vs float'],
        layerRows,
      ),
    );
    for (const [name, v] of Object.entries(layerSummary))
      console.log(`${name}: ${JSON.stringify(v)}`);
  }
  for (const g of plan) {
    console.log(`${g.model} files: ${g.variants.map((v) => `${v.name} ${v.bytes} B`).join(', ')}`);
  }
  console.log(
    JSON.stringify({
      bench: 'latency',
      loadAverage: { start: load0.map((x) => round(x, 2)), end: load1.map((x) => round(x, 2)) },
      nativeInstalled,
      compressCpuS: Object.fromEntries(
        Object.entries(compressCpu).map(([k, v]) => [k, round(v, 1)]),
      ),
      wallS: round((performance.now() - started) / 1000, 1),
      ratios,
      cpuRatios,
      latencyGuard: guardNotes,
      layers: layerSummary,
      timings: timings.map((t) => ({
        ...t,
        medianMs: round(t.medianMs, 3),
        p90Ms: round(t.p90Ms, 3),
        cpuMs: round(t.cpuMs, 3),
      })),
      profiles: Object.fromEntries(
        Object.entries(profiles).map(([k, v]) => [
          k,
          Object.fromEntries(Object.entries(v).map(([op, us]) => [op, round(us / 1000, 3)])),
        ]),
      ),
      files: plan.map((g) => ({
        model: g.model,
        variants: g.variants.map((v) => ({ name: v.name, bytes: v.bytes })),
      })),
    }),
  );
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (process.argv.includes('--child')) await child();
else if (process.argv.includes('--profile-child')) await profileChild();
else if (process.argv.includes('--layers-child')) await layersChild();
else await main();
