// The CLI twin on the tiny residual model: `qaf sensitivity` writes a table, `qaf allocate` an
// allocation within a budget (or says which budget is reachable), and the --allocation flag's
// reader returns it checked against the model, or names the layer that does not fit.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { allocationFromArgs, readAllocationFile } from '../../src/cli/allocationFlag.ts';
import { main } from '../../src/cli/main.ts';
import { sensitivityMatrix } from '../../src/cli/sensitivity.ts';
import { parseAllocation } from '../../src/core/allocate/allocation.ts';
import { parseSensitivityTable } from '../../src/core/allocate/table.ts';
import { type PreparedModel, prepareModel } from '../../src/core/pipeline/prepare.ts';
import { npyBytes } from '../data/fixtures.ts';
import { lcg } from '../support/random.ts';
import { residualModelBytes, SIDE } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'qaf-allocate-'));
const model = join(dir, 'tiny.onnx');
const images = join(dir, 'images.npy');
const tablePath = join(dir, 'table.json');
const allocPath = join(dir, 'alloc.json');
let prepared: PreparedModel;

/** Runs `qaf ...args` in this process; returns the exit code and what was printed. */
async function qaf(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((s) => out.push(String(s)));
  vi.spyOn(console, 'error').mockImplementation((s) => err.push(String(s)));
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

beforeAll(async () => {
  writeFileSync(model, residualModelBytes());
  const next = lcg(5);
  const pixels = Uint8Array.from({ length: 48 * SIDE * SIDE * 3 }, () => Math.floor(256 * next()));
  writeFileSync(images, npyBytes('|u1', [48, SIDE, SIDE, 3], pixels));
  prepared = await prepareModel(new Uint8Array(readFileSync(model)));
});

afterEach(() => vi.restoreAllMocks());

describe('qaf sensitivity and qaf allocate', () => {
  it('measure a table, then solve a budget into an allocation file', async () => {
    const measured = await qaf(
      'sensitivity',
      model,
      '--calibration-data',
      images,
      '--images',
      '40',
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
    const table = parseSensitivityTable(readFileSync(tablePath, 'utf8'));
    expect(table.images).toBe(40);
    expect(table.layers.map((l) => [l.name, l.options.map((o) => o.id)])).toEqual([
      ['conv1', ['keep', 'ptq-w4', 'admm-r2-w4', 'admm-r4-w4']],
      ['conv2', ['keep', 'ptq-w4', 'admm-r2-w4', 'admm-r4-w4']],
    ]);
    expect(measured.stdout).toContain(sensitivityMatrix(table));

    const solved = await qaf(
      'allocate',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      'bops=20%',
      '-o',
      allocPath,
      '--json',
    );
    expect(solved.code, solved.stderr).toBe(0);
    const out = JSON.parse(solved.stdout);
    expect(out.totals.bopPercent).toBeLessThanOrEqual(20);
    expect(out.solver.exact).toBe(true);
    expect(parseAllocation(readFileSync(allocPath, 'utf8'))).toEqual(out.allocation);
  });

  it('a size budget beside the BOP budget keeps the stored weights within it', async () => {
    const bopsOnly = await qaf(
      'allocate',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      'bops=20%',
      '-o',
      `${allocPath}.b`,
      '--json',
    );
    const alone = JSON.parse(bopsOnly.stdout).totals;
    // Just under what the BOP budget alone stores, and far under: met, or said to be impossible.
    const under = Math.floor(alone.storedBytes) - 1;
    const both = await qaf(
      'allocate',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      `bops=20%,size=${under}`,
      '-o',
      `${allocPath}.c`,
      '--json',
    );
    if (both.code === 0) {
      const t = JSON.parse(both.stdout).totals;
      expect(t.bopPercent).toBeLessThanOrEqual(20);
      expect(t.storedBytes).toBeLessThanOrEqual(under);
    } else {
      expect(both.stderr).toMatch(/cannot both be met/);
    }
    const never = await qaf(
      'allocate',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      'bops=20%,size=10',
      '-o',
      `${allocPath}.d`,
    );
    expect(never.code).toBe(1);
    expect(never.stderr).toMatch(/budgets bops=20% and size=10B cannot both be met/);
  });

  it('an unreachable budget says so and gives the smallest reachable value', async () => {
    const r = await qaf(
      'allocate',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      'bops=0.5%',
      '-o',
      allocPath,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /budget bops=0\.5% cannot be met: the smallest reachable is \d+\.\d{3} %/,
    );
  });

  it('says so when every layer is best kept as it is', async () => {
    // Keeping both convs (8-bit weights like the rest) costs 25 % of the float BOPs.
    const r = await qaf(
      'allocate',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      'bops=40%',
      '-o',
      `${allocPath}.x`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/every layer is best kept as it is/);
  });

  it('refuses a table measured on another model', async () => {
    const other = join(dir, 'other.onnx');
    writeFileSync(other, residualModelBytes(9));
    const r = await qaf(
      'allocate',
      other,
      '--sensitivity',
      tablePath,
      '--budget',
      'bops=40%',
      '-o',
      allocPath,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/measured on another model/);
  });
});

describe('qaf sensitivity --scales and --calibration-images', () => {
  it('measures the factors the build of its allocation solves, with per-factor scales', async () => {
    const table = join(dir, 'factor-table.json');
    const alloc = join(dir, 'factor-alloc.json');
    const measured = await qaf(
      'sensitivity',
      model,
      '--calibration-data',
      images,
      '--images',
      '40',
      '--calibration-images',
      '44',
      '--scales',
      'factor',
      '--rates',
      '2',
      '--bits',
      '4',
      '--ptq-bits',
      '',
      '--no-keep',
      '--no-cache',
      '-o',
      table,
    );
    expect(measured.code, measured.stderr).toBe(0);
    const factorTable = parseSensitivityTable(readFileSync(table, 'utf8'));
    expect(factorTable.scales).toBe('factor');

    const args = ['--sensitivity', table, '--budget', 'bops=20%', '-o', alloc];
    const solved = await qaf('allocate', model, ...args);
    expect(solved.code, solved.stderr).toBe(0);
    const allocation = parseAllocation(readFileSync(alloc, 'utf8'));
    expect(allocation.settings.scales).toBe('factor');

    // The build calibrates on the same 44 images: its factors are the ones measured.
    const built = await qaf(
      'compress',
      model,
      '--allocation',
      alloc,
      '-o',
      join(dir, 'factor.onnx'),
      '--calibration-data',
      images,
      '--calibration-images',
      '44',
      '--json',
    );
    expect(built.code, built.stderr).toBe(0);
    const report = JSON.parse(built.stdout);
    for (const layer of factorTable.layers) {
      const written = report.layers.find((l: { name: string }) => l.name === layer.name);
      expect(written.error, layer.name).toBe(layer.options[0].weightError);
    }
  });

  it('refuses scales it does not know', async () => {
    const r = await qaf('sensitivity', model, '--calibration-data', images, '--scales', 'row');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--scales must be factor or component, got "row"/);
  });
});

describe('--allocation FILE', () => {
  it('returns the file as an allocation checked against the model', async () => {
    const allocation = await readAllocationFile(allocPath, prepared);
    expect(allocation).toEqual(parseAllocation(readFileSync(allocPath, 'utf8')));
    expect(await allocationFromArgs({ allocation: allocPath }, prepared)).toEqual(allocation);
    expect(await allocationFromArgs({}, prepared)).toBeNull();
  });

  it('names a layer the model lacks and a rank a layer cannot take, before any work', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        settings: { method: 'admm', rate: 2, bits: 4 },
        selection: { names: ['conv1', 'conv2'] },
        overrides: { conv2: { rank: 500 }, 'layer4.conv': 'keep' },
      }),
    );
    await expect(readAllocationFile(bad, prepared)).rejects.toThrow(
      /no layer named "layer4\.conv" in this model.*layer "conv2": rank 500 is above the 56/,
    );
  });

  it('does not mix with the flags it replaces', async () => {
    await expect(
      allocationFromArgs({ allocation: allocPath, bits: '4' }, prepared),
    ).rejects.toThrow(/--allocation sets every layer's settings, so --bits cannot be given/);
    // --scales would be silently ignored: the file (or a budget's table) decides the scales.
    await expect(
      allocationFromArgs({ budget: 'bops=20%', scales: 'factor' }, prepared),
    ).rejects.toThrow(/--budget sets every layer's settings, so --scales cannot be given/);
  });
});
