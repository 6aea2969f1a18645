// Helpers shared by the qaf subcommands: argument parsing, reading files, one-line errors,
// aligned tables.
import { readFileSync, statSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Dim } from '../core/onnx/index.ts';

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

/** Reads a whole file, turning "no such file" and friends into a readable UsageError. */
export function readInputFile(path: string, what = 'file'): Uint8Array {
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${what} "${path}" is a directory`);
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : String(code ?? err);
    throw new UsageError(`cannot read ${what} "${path}": ${reason}`);
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
