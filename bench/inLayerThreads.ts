// `npm run bench:in-layer [-- --size 512] [--threads 2] [--min-macs N]`: one wide layer
// (issue #14, "inside the layer") on one thread and on T threads that split its big kernel
// calls (src/core/kernels/threaded.ts, helpers from src/cli/kernelThreads.ts). The layer is the
// 3x3 conv with C_in = C_out = size of bench:wide (seeded synthetic weights), QAF at rate 2,
// 4 bits, the engine's default settings (qafPaths.ts, path 'new'). One thread is the peer, in
// the same run; the two runs alternate which goes first when --repeat > 1. Wall seconds are
// what threads shorten; CPU seconds are this process's, all threads included (process.cpuUsage).
// The errors must be equal: the split kernels compute every value as one thread does.
// On a loaded machine the wall clock of T threads mostly measures the queue for the cores, so
// the bench also reads this (the owner's) thread's own CPU seconds from /proc (Linux): its
// one-thread figure over its T-thread figure is the speed-up the wall clock shows on T idle
// cores when the helpers keep up ("path" below); the owner waits, not computes, while a helper
// is behind. (V8's own background threads, GC and compiles, are in CPU s, not in owner s.)
import { readFileSync } from 'node:fs';
// The helpers are worker_threads running this same file (bench/ may not import src/cli, whose
// kernelThreads.ts the CLI uses; this is the same few lines).
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { DEFAULT_QAF_SCALES } from '../src/core/factor/types.ts';
import { type Kernels, loadKernels } from '../src/core/kernels/index.ts';
import { runShare, type ThreadedKernels, threadedKernels } from '../src/core/kernels/threaded.ts';
import {
  createTeam,
  IDLE,
  type KernelTeam,
  requestLeave,
  serveTeam,
  TeamControl,
} from '../src/core/kernels/threadedTeam.ts';
import { rankFromRate } from '../src/core/util/rank.ts';
import { cpuSeconds, ensureWasmBuilt, kernelsNote, listArg, runPath } from './qafPaths.ts';
import { syntheticConv } from './syntheticWeights.ts';

interface HelperData {
  team: KernelTeam;
  slot: number;
  kernels: string;
}

if (!isMainThread) {
  const { team, slot, kernels: name } = workerData as HelperData;
  const kernels = await loadKernels({ relaxedSimd: name === 'wasm-relaxed-simd' });
  if (kernels.name !== name) throw new Error(`helper loaded ${kernels.name}, owner has ${name}`);
  serveTeam(kernels, team, slot, runShare);
  parentPort?.close();
} else {
  await main();
}

/** `count` helper threads joined to `team`; resolves once every slot is IDLE. */
async function spawnHelpers(team: KernelTeam, count: number, kernels: string): Promise<Worker[]> {
  const require = createRequire(import.meta.url);
  const tsx = pathToFileURL(
    `${dirname(require.resolve('tsx/package.json'))}/dist/esm/api/index.mjs`,
  );
  const code = `import { register } from ${JSON.stringify(tsx.href)}; register(); await import(${JSON.stringify(import.meta.url)});`;
  const workers = Array.from(
    { length: count },
    (_, slot) =>
      new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
        workerData: { team, slot, kernels } satisfies HelperData,
      }),
  );
  const control = new TeamControl(team);
  for (const w of workers)
    w.on('error', (err: Error) => console.error(`helper thread: ${err.message}`));
  while (!workers.every((_, slot) => control.state(slot) === IDLE)) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return workers;
}

async function main(): Promise<void> {
  const rate = 2;
  const bits = 4;
  const argv = process.argv.slice(2);
  const size = Number(listArg(argv, 'size', '512')[0]);
  const threads = Number(listArg(argv, 'threads', '2')[0]);
  const repeat = Number(listArg(argv, 'repeat', '1')[0]);
  const minMacsArg = listArg(argv, 'min-macs', '')[0];
  if (!Number.isInteger(size) || size < 8) throw new Error(`--size: not a width: ${size}`);
  if (!Number.isInteger(threads) || threads < 2) throw new Error(`--threads must be >= 2`);

  const loadStart = loadavg()[0];
  ensureWasmBuilt();
  const base = await loadKernels();
  if (kernelsNote(base.name)) console.log(kernelsNote(base.name));
  const team = createTeam(threads - 1);
  const helperThreads = await spawnHelpers(team, threads - 1, base.name);
  const threaded = threadedKernels(base, team, {
    minMacs: minMacsArg ? Number(minMacsArg) : undefined,
    note: (line) => console.log(line),
  });

  interface Run {
    threads: number;
    wallSeconds: number;
    cpuSeconds: number;
    /** This thread's CPU seconds (null without /proc). */
    ownerCpuSeconds: number | null;
    error: number;
    floatError: number;
    splitCalls?: number;
    helperShares?: number;
  }

  function timed(kernels: Kernels, n: number, weight: Float32Array, c: number): Run {
    const dims = [c, c, 9];
    const threaded = n > 1 ? (kernels as ThreadedKernels) : null;
    const before = threaded ? { ...threaded.stats } : null;
    const wall0 = performance.now();
    const cpu0 = cpuSeconds();
    const own0 = ownerCpuSeconds();
    const r = runPath(
      kernels,
      weight,
      dims,
      rankFromRate(dims, rate),
      bits,
      'new',
      DEFAULT_QAF_SCALES,
    );
    const run: Run = {
      threads: n,
      wallSeconds: (performance.now() - wall0) / 1000,
      cpuSeconds: cpuSeconds() - cpu0,
      ownerCpuSeconds: own0 === null ? null : ownerCpuSeconds()! - own0,
      error: r.error,
      floatError: r.floatError,
    };
    if (threaded && before) {
      run.splitCalls = threaded.stats.splitCalls - before.splitCalls;
      run.helperShares = threaded.stats.helperShares - before.helperShares;
    }
    return run;
  }

  // Warm-up, not reported: V8 first runs wasm and hot JavaScript unoptimised.
  const small = syntheticConv(base, 64, 64, 3, 1064);
  timed(base, 1, small, 64);
  timed(threaded, threads, small, 64);

  const weight = syntheticConv(base, size, size, 3, 1000 + size);
  const runs: { one: Run; many: Run }[] = [];
  for (let i = 0; i < repeat; i++) {
    const pair: Partial<{ one: Run; many: Run }> = {};
    for (const which of i % 2 === 0 ? ['one', 'many'] : ['many', 'one']) {
      pair[which as 'one' | 'many'] =
        which === 'one' ? timed(base, 1, weight, size) : timed(threaded, threads, weight, size);
    }
    runs.push(pair as { one: Run; many: Run });
  }
  for (let slot = 0; slot < threads - 1; slot++) requestLeave(team, slot);
  await Promise.all(helperThreads.map((w) => new Promise((r) => w.once('exit', r))));

  const f3 = (x: number) => x.toFixed(3);
  const widths = [7, 8, 8, 8, 8, 6, 6, 6, 6];
  const line = (cells: string[]) => cells.map((s, i) => s.padStart(widths[i])).join('  ');
  console.log(
    `QAF of one conv 3x3 C=${size}, rate ${rate}, ${bits} bits, ${DEFAULT_QAF_SCALES} scales, kernels ${base.name}, load ${loadavg()[0].toFixed(1)}`,
  );
  console.log(
    line(['threads', 'wall s', 'CPU s', 'owner s', 'error', 'split', 'shares', 'wall x', 'path x']),
  );
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const { one, many } of runs) {
    for (const r of [one, many]) {
      console.log(
        line([
          String(r.threads),
          f3(r.wallSeconds),
          f3(r.cpuSeconds),
          r.ownerCpuSeconds === null ? '-' : f3(r.ownerCpuSeconds),
          r.error.toFixed(6),
          String(r.splitCalls ?? '-'),
          String(r.helperShares ?? '-'),
          r === one ? 'peer' : `${(one.wallSeconds / many.wallSeconds).toFixed(2)}x`,
          r === one || !many.ownerCpuSeconds || !one.ownerCpuSeconds
            ? '-'
            : `${(one.ownerCpuSeconds / many.ownerCpuSeconds).toFixed(2)}x`,
        ]),
      );
    }
  }
  const best = (key: 'one' | 'many') => Math.min(...runs.map((r) => r[key].wallSeconds));
  console.log(
    JSON.stringify({
      bench: 'inLayerThreads',
      layer: `conv 3x3 C=${size}`,
      rate,
      bits,
      scales: DEFAULT_QAF_SCALES,
      kernels: base.name,
      threads,
      load: loadavg()[0],
      runs,
      peer: 'one thread, same run',
      speedupWall: best('one') / best('many'),
      // One thread's CPU over the owner thread's CPU, per pair: the wall-clock gain on idle cores.
      speedupPath: runs.map(({ one, many }) =>
        one.ownerCpuSeconds && many.ownerCpuSeconds
          ? one.ownerCpuSeconds / many.ownerCpuSeconds
          : null,
      ),
      loadStart,
      errorsEqual: runs.every((r) => r.one.error === r.many.error),
    }),
  );
}

/** CPU seconds of this thread (utime + stime, fields 14-15 of /proc/self/task/TID/stat). */
function ownerCpuSeconds(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime 15; clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
