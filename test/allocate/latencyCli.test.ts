// `qaf allocate --budget latency=...` on the tiny residual model: the table's layers are timed
// alone in onnxruntime-web, then the solver spends milliseconds. An unreachable latency budget
// says so with the smallest reachable share, and a budget every layer meets as it is says that.
// The sensitivity table is written by hand (measuring one is cli.test.ts's job).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { type LayerOption, optionId } from '../../src/core/allocate/options.ts';
import {
  type OptionSensitivity,
  SENSITIVITY_FORMAT,
  SENSITIVITY_VERSION,
  type SensitivityTable,
} from '../../src/core/allocate/table.ts';
import { sha256Hex } from '../../src/core/sweep/configKey.ts';
import { residualModelBytes } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'qaf-latency-'));
const model = join(dir, 'tiny.onnx');
const tablePath = join(dir, 'table.json');

async function qaf(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((s) => out.push(String(s)));
  vi.spyOn(console, 'error').mockImplementation((s) => err.push(String(s)));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await main(args);
  stderr.mockRestore();
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

function option(o: LayerOption, rank: number, error: number): OptionSensitivity {
  return {
    id: optionId(o),
    option: o,
    rank,
    bops: 1000,
    weightBytes: 100,
    weightError: error,
    outputError: error,
    scoreError: error,
    kl: error,
    agreement: 1 - error,
  };
}

beforeAll(async () => {
  const bytes = residualModelBytes();
  writeFileSync(model, bytes);
  const layer = (name: string) => ({
    name,
    op: 'Conv',
    weightShape: [16, 16, 3, 3],
    macs: 16 * 16 * 9 * 36,
    skipped: [],
    options: [
      option('keep', 0, 0),
      option({ method: 'ptq', bits: 4 }, 0, 0.05),
      option({ method: 'admm', rate: 2, bits: 4 }, 28, 0.2),
    ],
  });
  const table: SensitivityTable = {
    format: SENSITIVITY_FORMAT,
    version: SENSITIVITY_VERSION,
    modelSha256: await sha256Hex(bytes),
    dataSha256: '',
    images: 1,
    calibrated: false,
    preset: 'default',
    seed: 0,
    otherWeightBits: 8,
    actBits: 32,
    floatBops: 1e6,
    floatWeightBytes: 1e4,
    fixed: { bops: 0, weightBytes: 0 },
    layers: [layer('conv1'), layer('conv2')],
    seconds: 0,
    measured: 0,
    cached: 0,
  };
  writeFileSync(tablePath, JSON.stringify(table));
});

afterEach(() => vi.restoreAllMocks());

describe('qaf allocate --budget latency=', () => {
  it('an unreachable latency budget names the smallest reachable share', async () => {
    const r = await qaf(
      'allocate',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      'latency=1%',
      '-o',
      join(dir, 'a.json'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /budget latency=1% cannot be met: the smallest reachable is \d+\.\d %/,
    );
  });

  it('a budget the model meets as it is keeps every layer, and says so', async () => {
    const r = await qaf(
      'allocate',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      'latency=1000%',
      '-o',
      join(dir, 'b.json'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/every layer is best kept as it is/);
  });

  it('qaf compress --budget latency= times the layers too, and refuses a budget met as it is', async () => {
    const r = await qaf(
      'compress',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      'latency=1000%',
      '-o',
      join(dir, 'out.onnx'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/compress: within latency=1000% every layer is best kept as it is/);
  });

  it('refuses a latency budget without a unit it knows', async () => {
    const r = await qaf(
      'allocate',
      model,
      '--sensitivity',
      tablePath,
      '--budget',
      'latency=3KB',
      '-o',
      join(dir, 'c.json'),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/latency takes ms, s or %/);
  });
});
