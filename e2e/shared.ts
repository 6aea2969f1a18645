// Where ../shared is, for e2e tests. test/support/shared.ts imports vitest, which must not be
// loaded inside Playwright's runner, so the two lookups it needs are repeated here.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = process.env.QAF_SHARED_DIR ?? resolve(repoRoot, '../shared');

export const hasShared = existsSync(join(sharedDir, 'models'));
export const sharedSkipReason = `../shared/models is absent (looked in ${sharedDir}): the real-model e2e tests need it`;

export function sharedPath(relative: string): string {
  return join(sharedDir, relative);
}
