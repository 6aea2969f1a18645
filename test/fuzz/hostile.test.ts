// The hostile-input corpus (issue #17 item 8) through the real CLI entry point, in process: every
// case must end with exit code 0 (and a file that loads and runs) or a clear refusal: one line,
// no stack trace, no file written, the inputs untouched, within a per-case time bound. Prints the
// table of counts that the README quotes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { createSession } from '../../src/core/eval/session.ts';
import { type FuzzCase, hostileCases } from './cases.ts';

/** Per-case bound: a refusal is expected within seconds; 30 s leaves room on a busy CI box. */
const CASE_MS = 30_000;
const root = mkdtempSync(join(tmpdir(), 'qaf-fuzz-'));
const cases = hostileCases();
const outcomes = { cases: 0, refused: 0, acceptedValid: 0, bad: 0 };
const accepted: string[] = [];
let peakRssMb = 0;

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  console.log(
    `hostile corpus: ${outcomes.cases} cases, ${outcomes.refused} clear refusals, ` +
      `${outcomes.acceptedValid} accepted with a valid file or report, ${outcomes.bad} bad; ` +
      `peak RSS ${Math.round(peakRssMb)} MB; accepted: ${accepted.join(', ')}`,
  );
});

const hash = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function run(c: FuzzCase, dir: string) {
  const argv = c.argv.map((a) => a.replaceAll('{dir}', dir));
  const errors: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => {
    errors.push(a.map(String).join(' '));
  });
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CASE_MS);
    });
    const code = await Promise.race([main(argv), timeout]);
    clearTimeout(timer);
    return { code, errors };
  } finally {
    err.mockRestore();
    log.mockRestore();
    stderr.mockRestore();
  }
}

describe(`hostile inputs (${cases.length} cases)`, () => {
  it('the corpus has at least 300 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
  });

  it.each(cases.map((c) => [c.id, c] as const))(
    '%s',
    { timeout: CASE_MS + 10_000 },
    async (_, c) => {
      const dir = join(root, c.id.replace(/[^a-zA-Z0-9]+/g, '_'));
      mkdirSync(dir, { recursive: true });
      const before: Record<string, string> = {};
      for (const [name, bytes] of Object.entries(c.files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), bytes);
        before[name] = hash(bytes);
      }
      const output = c.output?.replaceAll('{dir}', dir);
      const { code, errors } = await run(c, dir);
      outcomes.cases++;
      peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 2 ** 20);
      expect(code, `${c.id} did not finish within ${CASE_MS} ms`).not.toBe('timeout');
      // Inputs are never modified (the output path may be an input only to be refused).
      for (const [name, digest] of Object.entries(before)) {
        expect(hash(readFileSync(join(dir, name))), `${c.id} modified ${name}`).toBe(digest);
      }
      if (code === 0) {
        if (output && existsSync(output)) {
          const session = await createSession(readFileSync(output));
          await session.release();
        }
        outcomes.acceptedValid++;
        accepted.push(c.id);
        return;
      }
      // A refusal: one clear line, no stack trace, nothing written.
      expect(errors, `${c.id}: ${errors.join(' | ')}`).toHaveLength(1);
      expect(errors[0]).not.toMatch(/\n\s+at /);
      expect(errors[0].length).toBeGreaterThan(10);
      if (output && !Object.hasOwn(c.files, output.slice(dir.length + 1))) {
        expect(existsSync(output), `${c.id} wrote ${output} while refusing`).toBe(false);
      }
      outcomes.refused++;
    },
  );
});
