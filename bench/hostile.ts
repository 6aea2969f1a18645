// `npm run bench:hostile [-- --jobs 2 --filter data:]`: every case of the hostile-input corpus
// (test/fuzz/cases.ts, issue #17) in its own `qaf` process, so each case's peak RSS and time are
// its own: bin/qaf's entry through tsx, as a user runs it. Asserts the bounds: each case
// ends (refused or accepted) within 10 s (CPU seconds of the process: wall-clock on this shared
// machine is printed but not judged; a case past 60 s wall is killed as a hang) and under 1 GB
// peak RSS, a refusal is one line without a
// stack trace, nothing is written on refusal and no input is modified. The peer, measured in the
// same run, is `qaf --help`: what a process costs before it reads anything (Node, tsx, the CLI's
// imports). Prints the table (case, outcome, seconds, CPU seconds, peak MB), then one JSON line;
// exits 1 if a bound is broken.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../src/core/util/textFormat.ts';
import { type FuzzCase, hostileCases } from '../test/fuzz/cases.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_SECONDS = 10;
const MAX_PEAK_MB = 1024;
/** A case still running after this is killed and counted as a hang. */
const KILL_SECONDS = 60;

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const jobs = Math.max(1, Number(option('jobs', '2')) | 0);
const filter = option('filter', '');

// The child (bench/hostileChild.mjs) runs bin/qaf and reports its own resource usage.
const CHILD = join(repoRoot, 'bench/hostileChild.mjs');

interface Measured {
  code: number | null;
  seconds: number;
  cpuSeconds: number;
  peakMb: number;
  stderr: string;
  killed: boolean;
}

function runQaf(args: string[], cwd: string): Promise<Measured> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CHILD, ...args], {
      cwd: repoRoot,
      env: { ...process.env, QAF_DEBUG: '' },
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let report = '';
    child.stderr!.on('data', (d) => {
      if (stderr.length < 20_000) stderr += d;
    });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d) => {
      report += d;
    });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, KILL_SECONDS * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      let r = { code, maxRssKb: Number.NaN, cpuUs: Number.NaN };
      try {
        r = JSON.parse(report);
      } catch {
        // killed, or the process died before reporting: no figures
      }
      void cwd;
      resolvePromise({
        code: killed ? null : code,
        seconds,
        cpuSeconds: r.cpuUs / 1e6,
        peakMb: r.maxRssKb / 1024,
        stderr,
        killed,
      });
    });
  });
}

const hash = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Row {
  id: string;
  outcome: 'refused' | 'accepted' | 'hang' | 'bad';
  problem: string;
  m: Measured;
}

async function runCase(c: FuzzCase, root: string): Promise<Row> {
  const dir = join(root, c.id.replace(/[^a-zA-Z0-9]+/g, '_'));
  mkdirSync(dir, { recursive: true });
  const before: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(c.files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
    before[name] = hash(bytes);
  }
  const output = c.output?.replaceAll('{dir}', dir);
  const m = await runQaf(
    c.argv.map((a) => a.replaceAll('{dir}', dir)),
    dir,
  );
  const problems: string[] = [];
  for (const [name, digest] of Object.entries(before)) {
    if (hash(readFileSync(join(dir, name))) !== digest) problems.push(`modified ${name}`);
  }
  if (m.killed) return { id: c.id, outcome: 'hang', problem: `killed after ${KILL_SECONDS} s`, m };
  if (m.code !== 0) {
    const lines = m.stderr.trim().split('\n');
    const last = lines.at(-1) ?? '';
    if (!last.startsWith('qaf: ') || /\n\s+at /.test(m.stderr))
      problems.push('no clear one-line error');
    if (output && !Object.hasOwn(c.files, output.slice(dir.length + 1)) && existsSync(output)) {
      problems.push('wrote a file while refusing');
    }
  }
  // CPU seconds: this machine is shared, its wall-clock is not the case's own (both printed).
  if (!(m.cpuSeconds <= MAX_SECONDS)) {
    problems.push(`${m.cpuSeconds.toFixed(1)} CPU s > ${MAX_SECONDS} s`);
  }
  if (!(m.peakMb <= MAX_PEAK_MB)) problems.push(`peak ${m.peakMb.toFixed(0)} MB`);
  rmSync(dir, { recursive: true, force: true });
  const outcome = problems.length ? 'bad' : m.code === 0 ? 'accepted' : 'refused';
  return { id: c.id, outcome, problem: problems.join('; '), m };
}

const root = mkdtempSync(join(tmpdir(), 'qaf-hostile-bench-'));
const cases = hostileCases().filter((c) => c.id.includes(filter));
console.log(
  `hostile corpus: ${cases.length} cases, one qaf process each, ${jobs} at a time; ` +
    `load average ${loadavg()[0].toFixed(1)}`,
);
const peer = await runQaf(['--help'], root);
const rows: Row[] = new Array(cases.length);
let next = 0;
let done = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: jobs }, async () => {
    while (next < cases.length) {
      const i = next++;
      rows[i] = await runCase(cases[i], root);
      done++;
      const r = rows[i];
      if (r.outcome === 'bad' || r.outcome === 'hang') {
        console.error(`${r.id}: ${r.outcome}: ${r.problem}`);
      }
      if (process.stderr.isTTY) process.stderr.write(`\r${done}/${cases.length}\x1b[K`);
    }
  }),
);
if (process.stderr.isTTY) process.stderr.write('\n');
rmSync(root, { recursive: true, force: true });

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
console.log(
  formatTable(
    ['case', 'outcome', 'exit', 'seconds', 'CPU s', 'peak MB', 'problem'],
    [
      [
        'peer: qaf --help',
        'peer',
        String(peer.code),
        f2(peer.seconds),
        f2(peer.cpuSeconds),
        f1(peer.peakMb),
        '',
      ],
      ...rows.map((r) => [
        r.id.length > 60 ? `${r.id.slice(0, 57)}...` : r.id,
        r.outcome,
        String(r.m.code),
        f2(r.m.seconds),
        f2(r.m.cpuSeconds),
        f1(r.m.peakMb),
        r.problem,
      ]),
    ],
    new Set([2, 3, 4, 5]),
  ),
);
const count = (o: Row['outcome']) => rows.filter((r) => r.outcome === o).length;
const worst = (key: 'seconds' | 'peakMb' | 'cpuSeconds') =>
  rows.reduce((a, r) => (r.m[key] > a.m[key] ? r : a), rows[0]);
const slowest = worst('seconds');
const largest = worst('peakMb');
const summary = {
  bench: 'hostile',
  cases: rows.length,
  refused: count('refused'),
  accepted: count('accepted'),
  hangs: count('hang'),
  bad: count('bad'),
  bounds: { seconds: MAX_SECONDS, peakMb: MAX_PEAK_MB },
  maxSeconds: { case: slowest?.id, seconds: Number(slowest?.m.seconds.toFixed(2)) },
  maxPeakMb: { case: largest?.id, peakMb: Number(largest?.m.peakMb.toFixed(1)) },
  maxCpuSeconds: {
    case: worst('cpuSeconds')?.id,
    cpuSeconds: Number(worst('cpuSeconds')?.m.cpuSeconds.toFixed(2)),
  },
  overTenWallSeconds: rows.filter((r) => r.m.seconds > MAX_SECONDS).length,
  peer: {
    command: 'qaf --help',
    seconds: Number(peer.seconds.toFixed(2)),
    cpuSeconds: Number(peer.cpuSeconds.toFixed(2)),
    peakMb: Number(peer.peakMb.toFixed(1)),
  },
  jobs,
  loadAverage: Number(loadavg()[0].toFixed(1)),
  wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
};
console.log(
  `\n${summary.cases} cases: ${summary.refused} refused, ${summary.accepted} accepted, ` +
    `${summary.hangs} hangs, ${summary.bad} breaking a bound; slowest ${slowest?.id} ` +
    `${f2(slowest?.m.seconds ?? Number.NaN)} s, largest ${largest?.id} ${f1(largest?.m.peakMb ?? Number.NaN)} MB ` +
    `(peer qaf --help: ${f2(peer.seconds)} s, ${f1(peer.peakMb)} MB)`,
);
console.log(JSON.stringify(summary));
process.exitCode = summary.bad + summary.hangs > 0 ? 1 : 0;
