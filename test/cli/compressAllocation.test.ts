// `qaf compress --allocation FILE` and `--budget B` on the tiny residual model: the written model
// carries the allocation in its metadata, each layer has the rank and bits the allocation gives
// it, the pipeline loaded and ran the file, and contradictions or a file made for another model
// are refused before any work.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { formatAllocation, parseAllocation } from '../../src/core/allocate/allocation.ts';
import type { Allocation } from '../../src/core/factor/modelJobs.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import { ALLOCATION_METADATA_KEY } from '../../src/core/pipeline/compressModel.ts';
import { sha256Hex } from '../../src/core/sweep/configKey.ts';
import { residualModelBytes, SIDE } from '../allocate/fixtures.ts';
import { npyBytes } from '../data/fixtures.ts';
import { lcg } from '../support/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'qaf-compress-allocation-'));
const model = join(dir, 'tiny.onnx');
const other = join(dir, 'other.onnx');
const images = join(dir, 'images.npy');
const allocPath = join(dir, 'alloc.json');
const tablePath = join(dir, 'table.json');

const allocation: Allocation = {
  settings: { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0 },
  selection: { names: ['conv1', 'conv2'] },
  overrides: { conv2: { rank: 5, bits: 6 } },
};

async function qaf(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((s) => out.push(String(s)));
  vi.spyOn(console, 'error').mockImplementation((s) => err.push(String(s)));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

function metadataAllocation(path: string) {
  const written = readModel(new Uint8Array(readFileSync(path)));
  const entry = written.metadataProps?.find((p) => p.key === ALLOCATION_METADATA_KEY);
  expect(entry, 'qaf.allocation in metadata_props').toBeDefined();
  return parseAllocation(entry?.value ?? '');
}

beforeAll(async () => {
  const bytes = residualModelBytes();
  writeFileSync(model, bytes);
  writeFileSync(other, residualModelBytes(9));
  const next = lcg(5);
  const pixels = Uint8Array.from({ length: 48 * SIDE * SIDE * 3 }, () => Math.floor(256 * next()));
  writeFileSync(images, npyBytes('|u1', [48, SIDE, SIDE, 3], pixels));
  const sha256 = await sha256Hex(bytes);
  writeFileSync(allocPath, formatAllocation(allocation, { sha256, file: 'tiny.onnx' }));
});

afterEach(() => vi.restoreAllMocks());

describe('qaf compress --allocation', () => {
  it('writes a model with the file in its metadata and each layer at its rank and bits', async () => {
    const out = join(dir, 'out.onnx');
    const r = await qaf('compress', model, '--allocation', allocPath, '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const layer = (name: string) => report.layers.find((l: { name: string }) => l.name === name);
    // conv1: rate 2 of a 16x16x9 weight -> floor(2304 / (41 * 2)) = 28; conv2 as overridden.
    expect([layer('conv1').rank, layer('conv1').bits]).toEqual([28, 4]);
    expect([layer('conv2').rank, layer('conv2').bits]).toEqual([5, 6]);
    expect(metadataAllocation(out)).toEqual(allocation);
    // The pipeline loaded and ran the written file before success.
    expect(report.check).not.toBeNull();
    expect(report.notes.join('\n')).toMatch(/checked: loads and runs in onnxruntime/);
  });

  it('keeps a layer the allocation keeps', async () => {
    const keep = join(dir, 'keep.json');
    writeFileSync(keep, formatAllocation({ ...allocation, overrides: { conv1: 'keep' } }));
    const out = join(dir, 'keep.onnx');
    const r = await qaf('compress', model, '--allocation', keep, '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const conv1 = report.layers.find((l: { name: string }) => l.name === 'conv1');
    expect(conv1.rank).toBe(0);
    expect(metadataAllocation(out).overrides).toEqual({ conv1: 'keep' });
  });

  it('refuses flags the allocation replaces, with the reason', async () => {
    const r = await qaf('compress', model, '--allocation', allocPath, '--rate', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--allocation sets every layer's settings, so --rate cannot be given/);
    const both = await qaf('compress', model, '--allocation', allocPath, '--budget', 'bops=5%');
    expect(both.stderr).toMatch(/--allocation and --budget both set/);
  });

  it('refuses an allocation made for another model, naming both', async () => {
    const r = await qaf('compress', other, '--allocation', allocPath, '-o', join(dir, 'x.onnx'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /alloc\.json was made for tiny\.onnx \(sha256 [0-9a-f]{12}\.\.\.\), not for other\.onnx/,
    );
  });
});

describe('qaf compress --budget', () => {
  it('measures, solves and compresses within the budget', async () => {
    const measured = await qaf(
      'sensitivity',
      model,
      '--calibration-data',
      images,
      '--images',
      '32',
      '--rates',
      '2,4',
      '--bits',
      '4',
      '--ptq-bits',
      '4',
      '--no-cache',
      '-o',
      tablePath,
    );
    expect(measured.code, measured.stderr).toBe(0);
    const out = join(dir, 'budget.onnx');
    const r = await qaf(
      'compress',
      model,
      '--budget',
      'bops=20%',
      '--sensitivity',
      tablePath,
      '-o',
      out,
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.totals.bopPercent).toBeLessThanOrEqual(20);
    const written = metadataAllocation(out);
    expect(written.selection?.names).toEqual(['conv1', 'conv2']);
    expect(report.check).not.toBeNull();
  });

  it('says when the budget cannot be met and what can', async () => {
    const r = await qaf('compress', model, '--budget', 'bops=0.5%', '--sensitivity', tablePath);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/budget bops=0\.5% cannot be met: the smallest reachable is/);
  });

  it('measures with the build statistics, so the build reuses every chosen layer factors', async () => {
    // The pass writes .qaf-cache in the working directory: a fresh one, so it measures (and so
    // factorizes) every option here.
    const cwd = process.cwd();
    const run = mkdtempSync(join(tmpdir(), 'qaf-budget-reuse-'));
    const lines: string[] = [];
    const out = join(run, 'budget.onnx');
    let code: number;
    try {
      process.chdir(run);
      vi.spyOn(console, 'log').mockImplementation(() => {});
      vi.spyOn(console, 'error').mockImplementation((s) => lines.push(String(s)));
      vi.spyOn(process.stderr, 'write').mockImplementation((s) => lines.push(String(s)) > 0);
      // 40 of the 48 images calibrate the build (the pass measures on all 48, its default 256
      // capped): the pass must take QAF's statistics from the build's 40, not its own 48.
      code = await main([
        'compress',
        model,
        '--budget',
        'bops=6%',
        '--calibration-data',
        images,
        '--calibration-images',
        '40',
        '--threads',
        '1',
        '-o',
        out,
      ]);
    } finally {
      vi.restoreAllMocks();
      process.chdir(cwd);
    }
    const stderr = lines.join('');
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/input statistics of 2 layers on 40 calibration images/);
    const chosen = metadataAllocation(out);
    const compressed = ['conv1', 'conv2'].filter((n) => chosen.overrides?.[n] !== 'keep');
    const method = (n: string) => {
      const o = chosen.overrides?.[n];
      return (o !== 'keep' && o?.method) || chosen.settings.method;
    };
    // At 6 % of the BOPs data-aware QAF (whose factors depend on the statistics) is chosen.
    expect(compressed.map(method), 'the budget factorizes a layer').toContain('admm');
    // Every compressed layer's factors are the pass's: none is factorized a second time.
    expect(stderr).toContain(
      `the build reused the sensitivity pass's factors for ${compressed.length} of ${compressed.length} layers (0 factorized now)`,
    );
  });

  it('needs something to measure the layers on', async () => {
    const r = await qaf('compress', model, '--budget', 'bops=5%');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--budget needs the layers measured/);
  });
});
