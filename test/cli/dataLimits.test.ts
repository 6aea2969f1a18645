// The dataset limits as flags (issue #17 item 4): every command that reads a data file takes
// --max-input-bytes, --max-unpacked-bytes, --max-zip-entries, --max-image-pixels and
// --max-images, and a refusal names the limit and the flag that raises it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_DATA_LIMITS,
  dataLimitUsage,
  loadDataFile,
  parseDataLimits,
} from '../../src/cli/data.ts';
import { main } from '../../src/cli/main.ts';
import { UsageError } from '../../src/cli/util.ts';
import { DEFAULT_DATASET_LIMITS } from '../../src/core/data/loadDataset.ts';
import { tinyClassifierBytes } from '../support/generated.ts';

const dir = mkdtempSync(join(tmpdir(), 'qaf-limits-'));

function png(width: number, height: number): Uint8Array {
  const image = new PNG({ width, height });
  image.data.fill(128);
  return new Uint8Array(PNG.sync.write(image));
}

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const zip = file(
  'd.zip',
  zipSync({ 'a/0.png': png(8, 8), 'a/1.png': png(8, 8), 'b/2.png': png(8, 8) }, { level: 0 }),
);
const cifar = file('d.bin', new Uint8Array(4 * 3073));
const model = file('m.onnx', tinyClassifierBytes());

async function refusal(path: string, format: 'zip' | 'cifar10', flags: Record<string, string>) {
  try {
    await loadDataFile(path, format, 'data', parseDataLimits(flags));
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('the data file was accepted');
}

/** Runs the CLI in process; returns its exit code and what it printed to stderr. */
async function run(argv: string[]) {
  const lines: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => {
    lines.push(a.join(' '));
  });
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    return { code: await main(argv), stderr: lines.join('\n') };
  } finally {
    err.mockRestore();
    log.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('dataset limits', () => {
  it('defaults are the core defaults and the help says them', () => {
    expect(parseDataLimits({})).toEqual(DEFAULT_DATA_LIMITS);
    expect(DEFAULT_DATA_LIMITS.maxInputBytes).toBe(2 * 1024 ** 3);
    expect(DEFAULT_DATASET_LIMITS.maxTotalBytes).toBe(2 * 1024 ** 3);
    expect(dataLimitUsage).toContain('default 2G');
    expect(dataLimitUsage).toContain('(default 100,000)');
  });

  it('each limit, lowered, refuses the file naming the limit and its flag', async () => {
    expect(await refusal(zip, 'zip', { 'max-zip-entries': '2' })).toBe(
      `data "${zip}": the zip has 3 entries, more than the limit of 2 (--max-zip-entries raises it)`,
    );
    expect(await refusal(zip, 'zip', { 'max-unpacked-bytes': '100' })).toMatch(
      /would unpack to more than 100 bytes .*\(--max-unpacked-bytes raises it\)$/,
    );
    expect(await refusal(zip, 'zip', { 'max-image-pixels': '63' })).toMatch(
      /'a\/0.png' is 8 x 8 pixels, more than the limit of 63 pixels per image \(--max-image-pixels raises it\)$/,
    );
    expect(await refusal(zip, 'zip', { 'max-images': '2' })).toMatch(
      /3 images, more than the limit of 2 \(--max-images raises it\)$/,
    );
    expect(await refusal(cifar, 'cifar10', { 'max-images': '3' })).toMatch(
      /the file has 4 images, more than the limit of 3 \(--max-images raises it\)$/,
    );
    expect(await refusal(cifar, 'cifar10', { 'max-input-bytes': '1K' })).toMatch(
      /^data ".*d.bin" is 12.0 KiB, more than the 1.0 KiB limit \(--max-input-bytes raises it\)$/,
    );
    // At the limit, accepted.
    const limits = parseDataLimits({ 'max-zip-entries': '3', 'max-images': '3' });
    expect((await loadDataFile(zip, 'zip', 'data', limits)).dataset.count).toBe(3);
  });

  it('a limit that is not a whole number >= 1 is a usage error', () => {
    expect(() => parseDataLimits({ 'max-images': '0' })).toThrow(/--max-images "0" must be/);
    expect(() => parseDataLimits({ 'max-zip-entries': '1.5' })).toThrow(/--max-zip-entries/);
    expect(() => parseDataLimits({ 'max-unpacked-bytes': 'lots' })).toThrow(/is not a size/);
  });

  it('every command that reads data takes the flags', async () => {
    const limit = ['--max-images', '2'];
    const commands = [
      ['eval', model, '--data', cifar, ...limit],
      ['sweep', model, '--data', cifar, '--no-cache', ...limit],
      ['sensitivity', model, '--calibration-data', cifar, '--no-cache', ...limit],
      ['compress', model, '--method', 'ptq', '--bits', '8', '-o', join(dir, 'o.onnx')].concat([
        '--calibration-data',
        cifar,
        ...limit,
      ]),
    ];
    for (const argv of commands) {
      const { code, stderr } = await run(argv);
      expect(code, argv[0]).toBe(1);
      expect(stderr, argv[0]).toMatch(
        /4 images, more than the limit of 2 \(--max-images raises it\)/,
      );
    }
    const tooBig = await run(
      ['allocate', model, '--sensitivity', cifar, '--budget', 'bops=5%'].concat([
        '-o',
        join(dir, 'a.json'),
        '--max-input-bytes',
        '1K',
      ]),
    );
    expect(tooBig.stderr).toMatch(/more than the 1.0 KiB limit \(--max-input-bytes raises it\)/);
  });
});
