// The CLI's worker pool (`--threads N`): the same bytes on any number of threads, largest layers
// first, clamped thread counts, a failing layer and a cancel end the call, and Ctrl-C ends the
// CLI with its workers.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LayerPool,
  machineThreads,
  parseThreads,
  pooledFactorizer,
} from '../../src/cli/threadPool.ts';
import { dominantLayerNote, largestFirst } from '../../src/core/factor/estimate.ts';
import type { CompressJob, LayerResult } from '../../src/core/factor/types.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { LayerFactorCache } from '../../src/core/sweep/layerCache.ts';
import { mulberry32 } from '../../src/core/util/prng.ts';
import { describeShared, repoRoot, sharedPath } from '../support/shared.ts';

const kernels = await loadKernels();

function conv(name: string, cOut: number, cIn: number, seed: number, method = 'admm'): CompressJob {
  const next = mulberry32(seed);
  const weight = Float32Array.from({ length: cOut * cIn * 9 }, () => 2 * next() - 1);
  return {
    name,
    weight,
    shape: [cOut, cIn, 3, 3],
    method: method as CompressJob['method'],
    rate: 2,
    bits: 4,
  };
}

/** Everything a result holds but its time, as plain arrays. */
function bytesOf(results: LayerResult[]) {
  return results.map(({ ms: _, factors, ...rest }) => ({
    ...rest,
    factors: factors.map((f) => ({
      rows: f.rows,
      cols: f.cols,
      scale: f.scale,
      codes: f.codes && Array.from(f.codes),
      values: Array.from(f.values),
    })),
  }));
}

describe('parseThreads', () => {
  it('defaults to every core and clamps 0 and too many with a note', () => {
    const notes: string[] = [];
    const note = (line: string) => notes.push(line);
    const cores = machineThreads();
    expect(parseThreads(undefined, note)).toBe(cores);
    expect(parseThreads('1', note)).toBe(1);
    expect(notes).toEqual([]);
    expect(parseThreads('0', note)).toBe(1);
    expect(parseThreads(String(cores + 7), note)).toBe(cores);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/--threads 0: using 1 thread/);
    expect(notes[1]).toMatch(new RegExp(`has ${cores} core.*using ${cores}`));
  });

  it('refuses what is not a whole number', () => {
    for (const bad of ['two', '1.5', '', '-1']) {
      expect(() => parseThreads(bad, () => {})).toThrow(/--threads must be a whole number/);
    }
  });
});

describe('pooledFactorizer', () => {
  const jobs = [
    conv('small', 8, 8, 1),
    conv('large', 24, 16, 2),
    conv('ptq', 4, 4, 3, 'ptq'),
    conv('middle', 16, 12, 4),
  ];

  it('orders layers by estimated time, largest first', () => {
    expect(largestFirst(jobs).map((i) => jobs[i].name)).toEqual([
      'large',
      'middle',
      'small',
      'ptq',
    ]);
  });

  it('says when one layer dominates a run on several threads', () => {
    expect(dominantLayerNote(jobs, 2)).toMatch(
      /^large is about \d+ % of the estimated work .* with 2 threads the run still takes at least/,
    );
    expect(dominantLayerNote(jobs, 1)).toBeNull();
    expect(dominantLayerNote([jobs[0], { ...jobs[0], name: 'twin' }], 2)).toBeNull();
  });

  it('gives the same bytes on two threads as on one, in job order', async () => {
    const done: string[] = [];
    const serial: string[] = [];
    const one = await pooledFactorizer(kernels, 1, { onResult: (r) => serial.push(r.name) })(
      jobs,
      {},
    );
    expect(serial).toEqual(['large', 'middle', 'small', 'ptq']); // one thread: largest first
    const two = await pooledFactorizer(kernels, 2, {
      onResult: (r, n, count) => done.push(`${n}/${count} ${r.name}`),
    })(jobs, {});
    expect(two.map((r) => r.name)).toEqual(jobs.map((j) => j.name));
    expect(bytesOf(two)).toEqual(bytesOf(one));
    expect(done).toHaveLength(jobs.length);
    expect(done.at(-1)).toMatch(/^4\/4 /);
  });

  it('ends the call with the error of a failing layer', async () => {
    const bad = { ...conv('bad', 8, 8, 5), bits: 11 };
    await expect(pooledFactorizer(kernels, 2)([jobs[0], bad], {})).rejects.toThrow(
      /bad: bits must be an integer in 2\.\.8/,
    );
  });

  it('rejects at once when cancelled and stops its workers', async () => {
    const controller = new AbortController();
    const run = pooledFactorizer(kernels, 2)([conv('a', 48, 48, 6), conv('b', 48, 48, 7)], {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 50);
    await expect(run).rejects.toThrow(/cancelled by the test/);
  });
});

describe("LayerPool under the sweep's layer cache", () => {
  it('computes each missing layer once, on the pool, with the bytes of this thread', async () => {
    const pool = new LayerPool(kernels, 2);
    let calls = 0;
    const pooled = new LayerFactorCache(kernels, (job) => {
      calls++;
      return pool.compress(job);
    });
    const local = new LayerFactorCache(kernels);
    const key = {
      method: 'admm' as const,
      rank: null,
      rate: 2,
      bits: 4,
      preset: 'default' as const,
      seed: 0,
      perChannel: false,
    };
    const layers = [conv('x', 12, 8, 11), conv('y', 16, 8, 12)].map((j) => ({
      name: j.name,
      weight: j.weight,
      shape: j.shape,
    }));
    try {
      const twice = [...layers, ...layers];
      const a = await Promise.all(twice.map((l) => pooled.compress(l, key)));
      const b = await Promise.all(layers.map((l) => local.compress(l, key)));
      expect(calls).toBe(2);
      expect(bytesOf(a.slice(0, 2))).toEqual(bytesOf(b));
    } finally {
      pool.close();
    }
  });
});

describeShared('qaf compress --threads 2', () => {
  it('Ctrl-C ends the command and its worker threads', async () => {
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin/qaf'),
        'compress',
        sharedPath('models/resnet20_cifar10.onnx'),
        '--method',
        'admm',
        '--rate',
        '2',
        '--bits',
        '4',
        '--threads',
        '2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/\[1\/\d+\]/.test(stderr)) resolve();
      });
      child.on('exit', () => resolve());
    });
    expect(stderr).toMatch(/\[1\/18\]/);
    const sentAt = Date.now();
    child.kill('SIGINT');
    const { code, signal } = await exited;
    expect(signal ?? code).toBe(code === null ? 'SIGINT' : 130);
    expect(Date.now() - sentAt).toBeLessThan(10_000);
  }, 60_000);
});
