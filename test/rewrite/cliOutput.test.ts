import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOutputArgs } from '../../src/cli/compressOutput.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { describeShared, repoRoot, sharedPath } from '../support/shared.ts';

const qaf = (...args: string[]) =>
  spawnSync(join(repoRoot, 'bin/qaf'), args, { encoding: 'utf8', cwd: repoRoot });

describe('compress -o options', () => {
  it('are checked before any work', () => {
    expect(parseOutputArgs({})).toBeNull();
    expect(() => parseOutputArgs({ 'act-bits': '8' })).toThrow(/needs -o/);
    expect(() => parseOutputArgs({ output: 'x.onnx', 'act-bits': '8' })).toThrow(/--calib/);
    expect(() => parseOutputArgs({ output: 'x.onnx', 'act-bits': '4' })).toThrow(/act-bits/);
    expect(() => parseOutputArgs({ output: 'x.onnx', 'other-bits': '12' })).toThrow(/other-bits/);
    expect(parseOutputArgs({ output: 'x.onnx', 'other-bits': '32' })).toMatchObject({
      path: 'x.onnx',
      actBits: 32,
      otherBits: 32,
    });
  });
});

describeShared('qaf compress -o OUT.onnx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qaf-rewrite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a 4-bit PTQ ResNet-20 and prints the report JSON', () => {
    const out = join(dir, 'r20_ptq4.onnx');
    const r = qaf(
      'compress',
      sharedPath('models/resnet20_cifar10.onnx'),
      '--method',
      'ptq',
      '--bits',
      '4',
      '--per-channel',
      '-o',
      out,
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report.totals).sort()).toEqual(
      [
        'bopPercent',
        'bops',
        'floatSizeBytes',
        'idealWeightBytes',
        'macs',
        'params',
        'sizeBytes',
      ].sort(),
    );
    expect(Object.keys(report.layers[0]).sort()).toEqual(
      ['bits', 'bops', 'bytes', 'error', 'macs', 'method', 'name', 'rank'].sort(),
    );
    const bytes = new Uint8Array(readFileSync(out));
    expect(report.totals.sizeBytes).toBe(bytes.length);
    expect(report.totals.floatSizeBytes).toBe(1_093_637);
    const model = readModel(bytes);
    const int4 = (model.graph.initializer ?? []).filter((t) => t.dataType === DataType.INT4);
    expect(int4).toHaveLength(20);
  });
});
