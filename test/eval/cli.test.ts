import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeShared, readShared, repoRoot, sharedPath } from '../support/shared.ts';

const qaf = (...args: string[]) =>
  spawnSync(join(repoRoot, 'bin/qaf'), args, { encoding: 'utf8', cwd: repoRoot });

describeShared('qaf eval', () => {
  it('prints exactly the documented JSON object for 500 CIFAR-10 images', () => {
    const r = qaf(
      'eval',
      sharedPath('models/resnet20_cifar10.onnx'),
      '--data',
      sharedPath('data/cifar10_test_batch.bin'),
      '--limit',
      '500',
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(Object.keys(out)).toEqual([
      'accuracy',
      'top5',
      'agreement',
      'klDiv',
      'images',
      'latencyMs',
      'threads',
    ]);
    expect(out.images).toBe(500);
    expect(out.accuracy).toBeGreaterThan(0.88);
    expect(out.accuracy).toBeLessThan(0.97);
    expect(Number.isInteger(out.accuracy * 500)).toBe(true);
    expect([out.agreement, out.klDiv, out.threads]).toEqual([null, null, 1]);
    expect(Object.keys(out.latencyMs)).toEqual(['median', 'p90']);
    expect(out.latencyMs.p90).toBeGreaterThanOrEqual(out.latencyMs.median);
  });

  it('fails with one line on stderr for a truncated data file', () => {
    const truncated = join(tmpdir(), `qaf-eval-truncated-${process.pid}.bin`);
    writeFileSync(truncated, readShared('data/cifar10_test_batch.bin').subarray(0, 3073 * 2 + 5));
    const r = qaf('eval', sharedPath('models/resnet20_cifar10.onnx'), '--data', truncated);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a CIFAR-10 binary file.*truncated/);
  });

  it('asks for a format it cannot guess', () => {
    const r = qaf('eval', sharedPath('models/resnet20_cifar10.onnx'), '--data', 'images.tar');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/pass --format cifar10, zip or npy/);
  });
});
