// The Dockerfile packs the qaf CLI (issue #14, item 5) but no Docker engine runs here or in CI, so
// the image is never built by the tests. What can break it silently is a CLI file outside what
// the Dockerfile copies: this test follows every import and `new URL(..., import.meta.url)` from
// bin/qaf (and the thread entries they name) and checks each file it reaches is inside a COPY.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scanImports } from './importRules.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** The repo paths the Dockerfile copies (COPY SRC... DEST), and the ones its RUN steps build. */
function imagePaths(dockerfile: string): string[] {
  const copied = dockerfile
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !line.includes('--from'))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
  // `npm run build:wasm` writes the kernels there; `npm ci` fills node_modules.
  return [...copied, 'public/wasm/', 'node_modules/'];
}

function inImage(path: string, paths: readonly string[]): boolean {
  return paths.some((p) =>
    p.endsWith('/') ? path.startsWith(p) : path === p || path.startsWith(`${p}/`),
  );
}

/** Repo files reachable from `entry` by relative imports and import.meta.url references. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const path = queue.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    if (!/\.(ts|tsx|mts|js|mjs)$/.test(path) && !path.startsWith('bin/')) continue;
    const full = `${repoRoot}/${path}`;
    if (!existsSync(full)) continue;
    for (const ref of scanImports({ path, text: readFileSync(full, 'utf8') })) {
      if (ref.target && !ref.typeOnly) queue.push(ref.target);
    }
  }
  return seen;
}

describe('the Dockerfile', () => {
  it('copies every file the qaf CLI reaches', () => {
    const paths = imagePaths(readFileSync(`${repoRoot}/Dockerfile`, 'utf8'));
    expect(paths).toContain('src');
    const reached = [...closure('bin/qaf')];
    expect(reached).toContain('src/cli/main.ts');
    expect(reached.length).toBeGreaterThan(50);
    const missing = reached.filter((p) => !inImage(p, paths));
    expect(missing, `files the CLI needs that the image lacks: ${missing.join(', ')}`).toEqual([]);
  });
});
