// writeOutputFile never destroys an input and never leaves half a file: the output may not
// resolve to an input (same path, symlink, hard link, symlinked folder), an existing file needs
// --force, only regular files are replaced, and a failed write leaves the old file as it was.
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { writeOutputFile } from '../../src/cli/outputFile.ts';
import { UsageError } from '../../src/cli/util.ts';

// A disk that fills up after the first 10 bytes of a write, when switched on.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, buffer: Uint8Array, offset?: number, length?: number) => {
    if (!disk.full) return fs.writeSync(fd, buffer, offset, length);
    fs.writeSync(fd, buffer, offset, 10);
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }) as typeof fs.writeSync;
  return { ...fs, writeSync, default: { ...fs, writeSync } };
});

let dir: string;
let model: string;
const NEW = new TextEncoder().encode('compressed model bytes');
const OLD = 'the float model, which must survive';

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('the write was allowed');
}

function leftovers(): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

beforeEach(() => {
  disk.full = false;
  dir = mkdtempSync(join(tmpdir(), 'qaf-out-'));
  model = join(dir, 'model.onnx');
  writeFileSync(model, OLD);
});

describe('writeOutputFile', () => {
  it('writes a new file, through a temporary file that is gone afterwards', () => {
    const out = join(dir, 'small.onnx');
    writeOutputFile(out, NEW, { inputPaths: [model] });
    expect(readFileSync(out)).toEqual(Buffer.from(NEW));
    expect(leftovers()).toEqual([]);
  });

  it('replaces an existing file only with force', () => {
    const out = join(dir, 'small.onnx');
    writeFileSync(out, 'previous run');
    expect(refusal(() => writeOutputFile(out, NEW))).toBe(
      `output "${out}" already exists; pass --force to replace it`,
    );
    expect(readFileSync(out, 'utf8')).toBe('previous run');
    writeOutputFile(out, NEW, { force: true, inputPaths: [model] });
    expect(readFileSync(out)).toEqual(Buffer.from(NEW));
  });

  it('refuses to overwrite the input, by any name, even with force', () => {
    const inputs = { inputPaths: [model] };
    const sameFile =
      /^the output would overwrite the input model ".*model.onnx" \(".*" is the same file\)/;
    expect(refusal(() => writeOutputFile(model, NEW, { force: true, ...inputs }))).toMatch(
      sameFile,
    );

    const relativePath = relative(process.cwd(), model);
    expect(refusal(() => writeOutputFile(relativePath, NEW, { force: true, ...inputs }))).toMatch(
      sameFile,
    );

    const link = join(dir, 'link.onnx');
    symlinkSync(model, link);
    expect(refusal(() => writeOutputFile(link, NEW, { force: true, ...inputs }))).toMatch(sameFile);

    const hard = join(dir, 'hard.onnx');
    linkSync(model, hard);
    expect(refusal(() => writeOutputFile(hard, NEW, { force: true, ...inputs }))).toMatch(sameFile);

    const folderLink = join(dir, 'again');
    symlinkSync(dir, folderLink);
    const viaFolder = join(folderLink, 'model.onnx');
    expect(refusal(() => writeOutputFile(viaFolder, NEW, { force: true, ...inputs }))).toMatch(
      sameFile,
    );

    // An input given through a symlink is matched too.
    const other = join(dir, 'data.zip');
    writeFileSync(other, 'images');
    const otherLink = join(dir, 'data-link.zip');
    symlinkSync(other, otherLink);
    expect(
      refusal(() => writeOutputFile(other, NEW, { force: true, inputPaths: [model, otherLink] })),
    ).toMatch(/^the output would overwrite the input file ".*data-link.zip"/);

    expect(readFileSync(model, 'utf8')).toBe(OLD);
    expect(readFileSync(other, 'utf8')).toBe('images');
  });

  it('writes through a symlink to another file, keeping the link', () => {
    const real = join(dir, 'real.onnx');
    writeFileSync(real, 'old output');
    const link = join(dir, 'out.onnx');
    symlinkSync(real, link);
    writeOutputFile(link, NEW, { force: true, inputPaths: [model] });
    expect(readFileSync(real)).toEqual(Buffer.from(NEW));
    expect(readFileSync(link)).toEqual(Buffer.from(NEW));
  });

  it('refuses targets that are not regular files', () => {
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    expect(refusal(() => writeOutputFile(folder, NEW, { force: true }))).toBe(
      `output "${folder}" exists and is not a regular file; choose a file path`,
    );
    expect(refusal(() => writeOutputFile('/dev/null', NEW, { force: true }))).toMatch(
      /is not a regular file/,
    );
    const dangling = join(dir, 'dangling.onnx');
    symlinkSync(join(dir, 'missing.onnx'), dangling);
    expect(refusal(() => writeOutputFile(dangling, NEW, { force: true }))).toMatch(
      /symbolic link to a missing file/,
    );
    expect(refusal(() => writeOutputFile(join(dir, 'no/such/dir.onnx'), NEW))).toMatch(
      /no such directory/,
    );
  });

  it('a write that fails half way leaves the old file whole and no temporary file', () => {
    const out = join(dir, 'small.onnx');
    writeFileSync(out, 'previous run');
    disk.full = true;
    expect(refusal(() => writeOutputFile(out, NEW, { force: true, inputPaths: [model] }))).toBe(
      `cannot write output "${out}": no space left`,
    );
    expect(readFileSync(out, 'utf8')).toBe('previous run');
    expect(leftovers()).toEqual([]);
  });
});
