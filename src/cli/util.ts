// Helpers shared by the qaf subcommands: argument parsing, reading files, one-line errors,
// aligned tables.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Dim } from '../core/onnx/index.ts';
import { formatBytes } from '../core/util/textFormat.ts';

export { formatBytes, formatTable } from '../core/util/textFormat.ts';

/** A problem with the command line or its files: printed as one line, exit code 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with positionals; its errors become UsageErrors naming the command. */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${command}: ${message.split(/\.\s|\n/)[0]} (see qaf ${command} --help)`);
  }
}

/** The largest input file read by default: more than any model or dataset handled in memory. */
export const DEFAULT_MAX_INPUT_BYTES = 2 * 1024 ** 3;

/** `--max-input-bytes N`: spread into a command's options; read it with parseByteSize. */
export const maxInputBytesOption = { 'max-input-bytes': { type: 'string' } } as const;
export const maxInputBytesUsage =
  '  --max-input-bytes N  refuse input files larger than N bytes (K, M, G suffixes; default 2G)';

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "2G", "500M", "1048576" -> bytes; undefined -> `fallback`. */
export function parseByteSize(
  flag: string,
  value: unknown,
  fallback = DEFAULT_MAX_INPUT_BYTES,
): number {
  if (value === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(String(value).trim());
  const bytes = m ? Math.floor(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError(`--${flag} "${String(value)}" is not a size (e.g. 500M or 2G)`);
  }
  return bytes;
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

function readError(path: string, what: string, err: unknown): UsageError {
  if (err instanceof UsageError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : String(code ?? err);
  return new UsageError(`cannot read ${what} "${path}": ${reason}`);
}

/** Regular files only (a FIFO would block, /dev/zero never ends), at most `maxBytes`. */
function checkInput(path: string, what: string, st: Stats, maxBytes: number): void {
  if (!st.isFile()) {
    throw new UsageError(`${what} "${path}" is ${fileKind(st)}, not a regular file`);
  }
  if (st.size > maxBytes) {
    throw new UsageError(
      `${what} "${path}" is ${formatBytes(st.size)}, more than the ${formatBytes(maxBytes)} ` +
        'limit (--max-input-bytes raises it)',
    );
  }
}

/**
 * Reads a whole regular file of at most `maxBytes`, turning "no such file", a directory, a
 * device or a FIFO into one readable UsageError.
 */
export function readInputFile(
  path: string,
  what = 'file',
  maxBytes = DEFAULT_MAX_INPUT_BYTES,
): Uint8Array {
  let fd: number | undefined;
  try {
    // stat before open: opening a FIFO blocks until someone writes to it.
    checkInput(path, what, statSync(path), maxBytes);
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const st = fstatSync(fd); // the file opened, if the path changed since
    checkInput(path, what, st, maxBytes);
    const bytes = new Uint8Array(st.size);
    let n = 0;
    while (n < bytes.length) {
      // One read is at most 2 GiB - 1 in Node.
      const r = readSync(fd, bytes, n, Math.min(bytes.length - n, 1 << 30), null);
      if (r === 0) break;
      n += r;
    }
    if (n !== st.size || readSync(fd, new Uint8Array(1), 0, 1, null) !== 0) {
      throw new UsageError(`${what} "${path}" changed while it was being read`);
    }
    return bytes;
  } catch (err) {
    throw readError(path, what, err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * `--input-shape` values: "1,3,224,224" (the model's only input) or "name=1,3,224,224".
 * A non-numeric dim stays symbolic.
 */
export function parseInputShapes(
  values: readonly string[],
  inputNames: readonly string[],
): Record<string, Dim[]> {
  const shapes: Record<string, Dim[]> = {};
  for (const value of values) {
    const eq = value.lastIndexOf('=');
    const name = eq >= 0 ? value.slice(0, eq) : inputNames.length === 1 ? inputNames[0] : null;
    if (name === null) {
      throw new UsageError(
        `--input-shape: the model has ${inputNames.length} inputs; write NAME=${value}`,
      );
    }
    const dims = value
      .slice(eq + 1)
      .split(/[,x]/)
      .map((d) => d.trim());
    if (dims.some((d) => d === '')) throw new UsageError(`--input-shape: cannot read "${value}"`);
    shapes[name] = dims.map((d) => (/^\d+$/.test(d) ? Number(d) : d));
  }
  return shapes;
}

/** 40551040 -> "40,551,040"; null -> "?" */
export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '?' : n.toLocaleString('en-US');
}

/** The one line a user sees for a failure; stack traces only with QAF_DEBUG=1. */
export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `qaf: ${message.replace(/\s*\n\s*/g, ' ')}`;
}
