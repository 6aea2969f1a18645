// Writing an output file without ever destroying an input: the target (symlinks followed) must
// not be one of the inputs, an existing file is replaced only with --force, only regular files
// are replaced, and the bytes go to a temporary file in the same directory that is renamed over
// the target, so a crash or a full disk never leaves half a file behind.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  openSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './util.ts';

export interface WriteOutputOptions {
  /** Replace an existing file (never an input). */
  force?: boolean;
  /** Files this run read, the model first: the output may not resolve to any of them. */
  inputPaths?: readonly string[];
}

/** The option text for commands that take --force. */
export const forceUsage =
  '  --force            replace the output file if it exists (never one of the inputs)';

function statOrNull(path: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The same file: same device and inode (so hard links too). */
function isSameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Where the bytes will land: the output path with its symlinks resolved (a link to a file
 * writes that file, as any program writing through it would), and what is there now.
 */
function resolveTarget(path: string): { target: string; existing: Stats | null } {
  const link = statOrNull(path, false);
  if (link?.isSymbolicLink()) {
    const existing = statOrNull(path, true);
    if (!existing) {
      throw new UsageError(
        `output "${path}" is a symbolic link to a missing file; remove it first`,
      );
    }
    return { target: realpathSync(path), existing };
  }
  const dir = statOrNull(dirname(resolve(path)), true);
  if (!dir?.isDirectory()) {
    throw new UsageError(`cannot write output "${path}": no such directory`);
  }
  // The directory's real path: an input reached through a symlinked directory still matches.
  return { target: join(realpathSync(dirname(resolve(path))), basename(path)), existing: link };
}

function refuseInputs(path: string, target: string, existing: Stats, inputs: readonly string[]) {
  inputs.forEach((input, i) => {
    const st = statOrNull(input, true);
    if (!st) return;
    if (isSameFile(st, existing) || realpathSync(input) === target) {
      const what = i === 0 ? 'input model' : 'input file';
      throw new UsageError(
        `the output would overwrite the ${what} "${input}" ("${path}" is the same file); ` +
          'choose another output path',
      );
    }
  });
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let n = 0; n < bytes.length; ) {
    n += writeSync(fd, bytes, n, Math.min(bytes.length - n, 1 << 30));
  }
}

/** Writes `bytes` to a temporary file beside `target`, then renames it over `target`. */
function writeAtomically(target: string, bytes: Uint8Array, mode: number): void {
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL: never reuse a file (or a planted symlink) at the temporary name.
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw err;
  }
}

/**
 * The refusals of writeOutputFile without writing, so a command can say them before any long
 * work: not a regular file, one of the inputs, or an existing file without --force.
 */
export function checkOutputPath(path: string, options: WriteOutputOptions = {}) {
  const { target, existing } = resolveTarget(path);
  if (existing) {
    if (!existing.isFile()) {
      throw new UsageError(`output "${path}" exists and is not a regular file; choose a file path`);
    }
    refuseInputs(path, target, existing, options.inputPaths ?? []);
    if (!options.force) {
      throw new UsageError(`output "${path}" already exists; pass --force to replace it`);
    }
  }
  return { target, existing };
}

/**
 * Writes an output file safely (see the top of this file). Throws a UsageError that says what
 * was refused; an existing file is kept intact by any failure.
 */
export function writeOutputFile(
  path: string,
  bytes: Uint8Array,
  options: WriteOutputOptions = {},
): void {
  const { target, existing } = checkOutputPath(path, options);
  try {
    writeAtomically(target, bytes, existing ? existing.mode & 0o777 : 0o666);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'EACCES'
        ? 'permission denied'
        : code === 'ENOSPC'
          ? 'no space left'
          : String(code ?? err);
    throw new UsageError(`cannot write output "${path}": ${reason}`);
  }
}
