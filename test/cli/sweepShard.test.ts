// Sharded sweeps (issue #14 item 5): --shard I/N (or the index from JOB_COMPLETION_INDEX /
// SLURM_ARRAY_TASK_ID), content-addressed shard files, and a merge that equals the unsharded
// sweep, refuses shards of different sweeps and names the shards still missing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseSweepArgs } from '../../src/cli/sweep.ts';
import { expandGrid, pointId } from '../../src/core/sweep/grid.ts';
import { parseShard, type ShardManifest, shardPoints } from '../../src/core/sweep/shard.ts';
import { tinyClassifierBytes } from '../support/generated.ts';
import { repoRoot } from '../support/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'qaf-shard-'));
const at = (name: string) => join(dir, name);

function imageZip(): Uint8Array {
  let s = 1;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 24; i++) {
    const image = new PNG({ width: 8, height: 8 });
    for (let j = 0; j < image.data.length; j++) image.data[j] = j % 4 === 3 ? 255 : next();
    files[`c${i % 4}/${i}.png`] = new Uint8Array(PNG.sync.write(image));
  }
  return zipSync(files, { level: 0 });
}

writeFileSync(at('m.onnx'), tinyClassifierBytes());
writeFileSync(at('other.onnx'), tinyClassifierBytes(2));
writeFileSync(at('d.zip'), imageZip());

/** A small grid: float, admm r2 w4, ftq r2 w4, ptq w4; latency not timed (it differs per run). */
const sweep = (model: string) => [
  'sweep',
  at(model),
  '--data',
  at('d.zip'),
  '--methods',
  'admm,ftq',
  '--rates',
  '2',
  '--bits',
  '4',
  '--no-calibration',
  '--runs',
  '0',
  '--no-cache',
];

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    return { code: await main(argv), stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    vi.restoreAllMocks();
  }
}

/** bin/qaf in its own process; resolves with its exit code. */
function spawnQaf(argv: string[], env: Record<string, string> = {}): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/qaf'), ...argv], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

describe('shard arguments', () => {
  it('reads I/N, or I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID', () => {
    expect(parseShard('2/4', {})).toEqual({ index: 2, count: 4 });
    expect(parseShard('4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '1' })).toEqual({ index: 1, count: 4 });
  });

  it('an index out of range or a missing index is an error', () => {
    expect(() => parseShard('4/4', {})).toThrow(
      'shard index out of range (--shard 4/4): with 4 shards the index is 0 to 3',
    );
    expect(() => parseShard('4', { JOB_COMPLETION_INDEX: '9' })).toThrow(
      /out of range \(JOB_COMPLETION_INDEX=9\)/,
    );
    expect(() => parseShard('-1/4', {})).toThrow(/out of range/);
    expect(() => parseShard('1/0', {})).toThrow(/N must be a whole number >= 1/);
    expect(() => parseShard('4', {})).toThrow(
      /neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID/,
    );
  });

  it('shards partition the grid, each calibrated twin with its point', () => {
    const points = expandGrid({ methods: ['admm', 'ftq'], rates: [1.5, 2], bits: [4, 8] });
    for (const count of [1, 2, 3, 7, 40]) {
      const parts = Array.from({ length: count }, (_, index) =>
        shardPoints(points, { index, count }),
      );
      expect(parts.flat().map(pointId).sort()).toEqual(points.map(pointId).sort());
      for (const part of parts) {
        for (const p of part.filter((q) => q.calibrated)) {
          expect(part.map(pointId)).toContain(pointId({ ...p, calibrated: false }));
        }
      }
    }
  });
});

describe('deploy/sweep-job.yaml', () => {
  it('runs qaf sweep with as many shards as the Indexed Job has completions', () => {
    const yaml = readFileSync(join(repoRoot, 'deploy/sweep-job.yaml'), 'utf8');
    expect(yaml).toMatch(/completionMode: Indexed/);
    const completions = Number(/completions: (\d+)/.exec(yaml)![1]);
    const block = yaml.slice(yaml.indexOf('args:'), yaml.indexOf('resources:'));
    const args = [...block.matchAll(/^\s+- ("?)([^"\s#]+)\1/gm)].map((m) => m[2]);
    expect(args[0]).toBe('sweep');
    process.env.JOB_COMPLETION_INDEX = String(completions - 1);
    try {
      const parsed = parseSweepArgs(args.slice(1))!;
      expect(parsed.shard).toEqual({ index: completions - 1, count: completions });
      expect(parsed.shardDir).toBe('/results');
    } finally {
      delete process.env.JOB_COMPLETION_INDEX;
    }
  });
});

describe('qaf sweep --shard and qaf sweep merge', () => {
  it('two shards in parallel processes merge to exactly the unsharded sweep', async () => {
    const shards = at('shards');
    const codes = await Promise.all([
      spawnQaf([...sweep('m.onnx'), '--shard', '0/2', '--shard-dir', shards]),
      spawnQaf([...sweep('m.onnx'), '--shard', '2', '--shard-dir', shards], {
        JOB_COMPLETION_INDEX: '1',
      }),
    ]);
    expect(codes).toEqual([0, 0]);
    const whole = await run([...sweep('m.onnx'), '--json']);
    expect(whole.code).toBe(0);
    const merged = await run(['sweep', 'merge', shards, '--json', '-o', at('sweep.json')]);
    expect(merged.code, merged.stderr).toBe(0);
    const expected = JSON.parse(whole.stdout);
    const got = JSON.parse(merged.stdout);
    expect(got.points).toEqual(expected.points);
    expect(got.points).toHaveLength(4);
    for (const k of ['model', 'data', 'images', 'layers', 'calibration'])
      expect(got[k]).toEqual(expected[k]);
    expect(got.shards).toEqual(['0/2', '1/2']);
    expect(got.measuredWith.node).toBe(process.version);
    expect(JSON.parse(readFileSync(at('sweep.json'), 'utf8'))).toEqual(got);

    // Idempotent: merging again and re-running a shard change nothing.
    const [sweepDir] = readdirSync(shards);
    const before = readFileSync(join(shards, sweepDir, 'shard-0-of-2.json'));
    const again = await run([...sweep('m.onnx'), '--shard', '0/2', '--shard-dir', shards]);
    expect(again.stderr).toMatch(/shard 0\/2: 2 of 4 points \(0 evaluated, 2 reused\)/);
    expect(readFileSync(join(shards, sweepDir, 'shard-0-of-2.json'))).toEqual(before);
    expect((await run(['sweep', 'merge', shards, shards, '--json'])).stdout).toBe(merged.stdout);

    // A missing shard is named; shards of another model or grid are refused with the reason.
    const one = await run(['sweep', 'merge', join(shards, sweepDir, 'shard-1-of-2.json')]);
    expect(one.stderr).toMatch(/2 of 4 points are in no shard given .*run shard 0\/2/);
    const shard1 = JSON.parse(readFileSync(join(shards, sweepDir, 'shard-1-of-2.json'), 'utf8'));
    const variant = (name: string, edit: (m: ShardManifest) => void) => {
      const copy = structuredClone(shard1);
      edit(copy.manifest);
      copy.manifest.sweepKey = `${name}${copy.manifest.sweepKey.slice(name.length)}`;
      writeFileSync(at(`${name}.json`), JSON.stringify(copy));
      return at(`${name}.json`);
    };
    const otherModel = variant('other', (m) => {
      m.report.model = 'other.onnx';
      m.context.modelHash = 'f'.repeat(64);
    });
    const mixed = await run(['sweep', 'merge', shards, otherModel]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(
      /shards of different sweeps \(different models: m.onnx sha256 \w{12} vs other.onnx sha256 ffffffffffff\)/,
    );
    const otherGrid = variant('grid', (m) => m.points.pop());
    expect((await run(['sweep', 'merge', shards, otherGrid])).stderr).toMatch(
      /different grids: 4 vs 3 points; only in the first: ptq w4 a32; only in the second: nothing/,
    );
    const otherImages = variant('images', (m) => {
      m.context.settings.images = 'some';
    });
    expect((await run(['sweep', 'merge', shards, otherImages])).stderr).toMatch(
      /different settings: images/,
    );
  }, 120_000);
});
