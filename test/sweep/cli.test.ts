import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JsonFileSweepCache, parseSweepArgs, sweepCommand } from '../../src/cli/sweep.ts';
import { describeShared, sharedPath, sharedSkipReason } from '../support/shared.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'qaf-sweep-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('qaf sweep arguments', () => {
  it('parses lists, act bits and calibration flags', () => {
    const args = parseSweepArgs([
      'm.onnx',
      '--data',
      'test.bin',
      '--methods',
      'admm,ftq',
      '--rates',
      '1.5,2',
      '--bits',
      '4,8',
      '--calibration-data',
      'train.bin',
      '--act-bits',
      '32,8',
      '--limit',
      '100',
    ])!;
    expect(args.methods).toEqual(['admm', 'ftq']);
    expect(args.rates).toEqual([1.5, 2]);
    expect(args.bits).toEqual([4, 8]);
    expect(args.actBits).toEqual([null, 8]);
    expect(args.format).toBe('cifar10');
    expect(args.calibrationFormat).toBe('cifar10');
    expect(args.limit).toBe(100);
    expect(parseSweepArgs(['--help'])).toBeNull();
  });

  it('rejects what it cannot run, with the reason', () => {
    expect(() => parseSweepArgs(['m.onnx', '--data', 'd.bin', '--methods', 'svd'])).toThrow(/svd/);
    expect(() => parseSweepArgs(['m.onnx', '--data', 'd.bin', '--bits', '12'])).toThrow(/2 to 8/);
    expect(() =>
      parseSweepArgs(['m.onnx', '--data', 'd.bin', '--act-bits', '8', '--no-calibration']),
    ).toThrow(/calibration-data/);
    expect(() => parseSweepArgs(['m.onnx'])).toThrow(/--data/);
  });
});

describe('JsonFileSweepCache', () => {
  it('persists entries across instances', async () => {
    const dir = tempDir();
    const value = {
      accuracy: 0.9,
      agreement: 1,
      bopPercent: 10,
      sizeBytes: 5,
      latencyMs: 1,
      meanError: 0.1,
      images: 10,
    };
    await new JsonFileSweepCache(dir).set('k', value);
    expect(await new JsonFileSweepCache(dir).get('k')).toEqual(value);
    expect(await new JsonFileSweepCache(dir).get('missing')).toBeUndefined();
  });
});

describeShared(`qaf sweep on ResNet-20${sharedSkipReason}`, () => {
  it('prints one JSON object with points; a second run is served from the cache', async () => {
    const cacheDir = tempDir();
    const argv = [
      sharedPath('models/resnet20_cifar10.onnx'),
      '--data',
      sharedPath('data/cifar10_test_batch.bin'),
      '--calibration-data',
      sharedPath('data/cifar10_train_5k.bin'),
      '--calibration-images',
      '64',
      '--methods',
      'ptq',
      '--bits',
      '8',
      '--limit',
      '200',
      '--runs',
      '0',
      '--cache-dir',
      cacheDir,
      '--json',
    ];
    const run = async () => {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      expect(await sweepCommand(argv)).toBe(0);
      const out = JSON.parse(String(log.mock.calls.at(-1)?.[0]));
      log.mockRestore();
      return out;
    };
    const first = await run();
    expect(first.images).toBe(200);
    expect(
      first.points.map((p: { method: string; calibrated: boolean }) => [p.method, p.calibrated]),
    ).toEqual([
      ['float', false],
      ['ptq', false],
      ['ptq', true],
    ]);
    for (const p of first.points) {
      expect(Object.keys(p).sort()).toEqual(
        [
          'accuracy',
          'actBits',
          'agreement',
          'bits',
          'bopPercent',
          'calibrated',
          'images',
          'latencyMs',
          'meanError',
          'method',
          'rate',
          'sizeBytes',
        ].sort(),
      );
    }
    expect(first.points[1].accuracy).toBeGreaterThan(0.8);
    expect(first.evaluations).toBe(3);
    const second = await run();
    expect(second.evaluations).toBe(0);
    expect(second.cached).toBe(3);
    expect(second.points).toEqual(first.points);
  });
});
