// In-layer threads end to end: a layer factorized on split kernels is bitwise the one-thread
// layer; the CLI's pool sends an idle worker to help a lone layer and returns the same bytes;
// `qaf compress --threads 2` on a one-layer model exits and prints what one thread prints.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KernelHelpers } from '../../src/cli/kernelThreads.ts';
import { LayerPool } from '../../src/cli/threadPool.ts';
import { compressLayer } from '../../src/core/factor/compressLayer.ts';
import type { CompressJob, LayerResult } from '../../src/core/factor/types.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { normalSampler } from '../../src/core/util/prng.ts';
import { repoRoot } from '../support/shared.ts';

const base = await loadKernels();

function gaussian(n: number, seed: number): Float32Array {
  const next = normalSampler(seed);
  return Float32Array.from({ length: n }, () => 0.05 * next());
}

function conv(c: number, seed: number): CompressJob {
  return {
    name: `conv${c}`,
    weight: gaussian(c * c * 9, seed),
    shape: [c, c, 3, 3],
    method: 'admm',
    rate: 2,
    bits: 4,
  };
}

function bytesOf({ ms: _, factors, ...rest }: LayerResult) {
  return {
    ...rest,
    factors: factors.map((f) => ({ ...f, codes: f.codes && Array.from(f.codes) })),
  };
}

describe.skipIf(base.name === 'js')('a layer on in-layer threads', () => {
  it('is bitwise the one-thread layer, per component and per factor', async () => {
    const helpers = new KernelHelpers(base, 1, { minMacs: 1, minProjectValues: 1 });
    try {
      await helpers.ready;
      for (const scales of ['component', 'factor'] as const) {
        const job = { ...conv(40, 3), scales };
        const before = helpers.kernels.stats.helperShares;
        const split = compressLayer(helpers.kernels, job);
        expect(helpers.kernels.stats.helperShares).toBeGreaterThan(before);
        expect(bytesOf(split)).toEqual(bytesOf(compressLayer(base, job)));
      }
    } finally {
      await helpers.close();
    }
  }, 60_000);

  it('the pool sends its idle worker to help a lone layer, with the same bytes', async () => {
    const pool = new LayerPool(base, 2, {
      inLayer: { minSeconds: 0, minMacs: 1, minProjectValues: 1 },
    });
    try {
      // Two small layers first start both workers, so the lone layer finds one idle.
      await Promise.all([pool.compress(conv(16, 3)), pool.compress(conv(16, 4))]);
      const job = conv(48, 5);
      const result = await pool.compress(job);
      expect(pool.helpsSent).toBeGreaterThan(0);
      expect(bytesOf(result)).toEqual(bytesOf(compressLayer(base, job)));
      // The helper is back: a second layer still runs (and is helped again).
      const again = await pool.compress(conv(32, 6));
      expect(bytesOf(again)).toEqual(bytesOf(compressLayer(base, conv(32, 6))));
    } finally {
      pool.close();
    }
  }, 60_000);
});

describe.skipIf(base.name === 'js')('a layer queued while the idle worker helps', () => {
  it('calls the helper back to take it; both layers have the one-thread bytes', async () => {
    const pool = new LayerPool(base, 2, {
      inLayer: { minSeconds: 0, minMacs: 1, minProjectValues: 1 },
    });
    try {
      await Promise.all([pool.compress(conv(16, 3)), pool.compress(conv(16, 4))]);
      const long = pool.compress(conv(64, 11));
      // Once the helper is sent, a second layer arrives: it must not wait for the first.
      for (let i = 0; i < 500 && pool.helpsSent === 0; i++)
        await new Promise((r) => setTimeout(r, 5));
      const helps = pool.helpsSent;
      const late = pool.compress(conv(24, 12));
      const order: string[] = [];
      void long.then(() => order.push('long'));
      void late.then(() => order.push('late'));
      const [a, b] = await Promise.all([long, late]);
      expect(helps).toBeGreaterThan(0);
      expect(order).toEqual(['late', 'long']); // the small late layer did not wait for the long one
      expect(bytesOf(a)).toEqual(bytesOf(compressLayer(base, conv(64, 11))));
      expect(bytesOf(b)).toEqual(bytesOf(compressLayer(base, conv(24, 12))));
    } finally {
      pool.close();
    }
  }, 60_000);
});

/** A model with one 3x3 conv, c -> c channels, on 8x8 inputs. */
function oneConvModel(c: number): Uint8Array {
  const graph = makeGraph({
    nodes: [makeNode('Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'conv' })],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, c, 8, 8])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, c, 8, 8])],
    initializers: [makeTensor('w', DataType.FLOAT, [c, c, 3, 3], gaussian(c * c * 9, 7))],
  });
  return writeModel(makeModel(graph, { opset: 13 }));
}

function qaf(argv: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/qaf'), ...argv], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(base.name === 'js')('qaf compress --threads 2 on a one-layer model', () => {
  it('exits, and prints the one-thread result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qaf-in-layer-'));
    try {
      const model = join(dir, 'conv.onnx');
      writeFileSync(model, oneConvModel(64));
      const args = [model, '--method', 'admm', '--rate', '2', '--bits', '4', '--json'];
      const env = { QAF_IN_LAYER_MIN_SECONDS: '0' };
      const [one, two] = await Promise.all([
        qaf(['compress', ...args, '--threads', '1'], env),
        qaf(['compress', ...args, '--threads', '2'], env),
      ]);
      expect(two.stderr).toBe('');
      expect(two.code).toBe(0);
      expect(one.code).toBe(0);
      const layers = (out: string) =>
        (JSON.parse(out) as { layers: { name: string; error: number; rank: number }[] }).layers.map(
          ({ name, error, rank }) => ({ name, error, rank }),
        );
      expect(layers(two.stdout)).toEqual(layers(one.stdout));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
