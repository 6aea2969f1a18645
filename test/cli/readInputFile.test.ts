// readInputFile reads regular files only (a FIFO would block, /dev/zero never ends), at most a
// settable number of bytes, and says what is wrong in one sentence.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_INPUT_BYTES,
  parseByteSize,
  readInputFile,
  UsageError,
} from '../../src/cli/util.ts';

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('the read was allowed');
}

const dir = mkdtempSync(join(tmpdir(), 'qaf-in-'));

describe('readInputFile', () => {
  it('reads a regular file whole, into its own buffer', () => {
    const path = join(dir, 'm.onnx');
    writeFileSync(path, Buffer.from([1, 2, 3, 4, 5]));
    const bytes = readInputFile(path, 'model file');
    expect(Array.from(bytes)).toEqual([1, 2, 3, 4, 5]);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(5);
    expect(Array.from(readInputFile(join(dir, 'm.onnx'), 'model file', 5))).toHaveLength(5);
  });

  it('refuses a directory, a device, a FIFO and a link to a device, in one sentence', () => {
    expect(refusal(() => readInputFile(dir, 'model file'))).toBe(
      `model file "${dir}" is a directory, not a regular file`,
    );
    if (existsSync('/dev/zero')) {
      expect(refusal(() => readInputFile('/dev/zero', 'model file'))).toBe(
        'model file "/dev/zero" is a character device, not a regular file',
      );
      const link = join(dir, 'zero.onnx');
      symlinkSync('/dev/zero', link);
      expect(refusal(() => readInputFile(link, 'model file'))).toMatch(/a character device/);
    }
    const fifo = join(dir, 'pipe.onnx');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      // Opening a FIFO blocks until a writer comes: this must return at once.
      expect(refusal(() => readInputFile(fifo, 'model file'))).toBe(
        `model file "${fifo}" is a named pipe, not a regular file`,
      );
    }
    expect(refusal(() => readInputFile(join(dir, 'missing.onnx'), 'model file'))).toMatch(
      /^cannot read model file ".*missing.onnx": no such file$/,
    );
  });

  it('refuses a file over the limit before reading it', () => {
    const path = join(dir, 'big.bin');
    writeFileSync(path, new Uint8Array(100));
    expect(refusal(() => readInputFile(path, 'data file', 99))).toBe(
      `data file "${path}" is 100 B, more than the 99 B limit (--max-input-bytes raises it)`,
    );
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(2 * 1024 ** 3);
  });
});

describe('parseByteSize (--max-input-bytes)', () => {
  it('reads bytes with K, M, G suffixes (1024-based)', () => {
    expect(parseByteSize('max-input-bytes', undefined)).toBe(DEFAULT_MAX_INPUT_BYTES);
    expect(parseByteSize('max-input-bytes', '1048576')).toBe(1048576);
    expect(parseByteSize('max-input-bytes', '1.5K')).toBe(1536);
    expect(parseByteSize('max-input-bytes', '500M')).toBe(500 * 1024 ** 2);
    expect(parseByteSize('max-input-bytes', '4G')).toBe(4 * 1024 ** 3);
    expect(parseByteSize('max-input-bytes', '4GiB')).toBe(4 * 1024 ** 3);
    expect(() => parseByteSize('max-input-bytes', 'lots')).toThrow(
      '--max-input-bytes "lots" is not a size (e.g. 500M or 2G)',
    );
    expect(() => parseByteSize('max-input-bytes', '0')).toThrow(UsageError);
  });
});
