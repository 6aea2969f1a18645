// Tests that need the real models and data in ../shared skip, saying why, when it is absent
// (a user's clone); CI always has it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = process.env.QAF_SHARED_DIR ?? resolve(repoRoot, '../shared');
export const hasShared = existsSync(join(sharedDir, 'models'));

if (!hasShared) {
  console.warn(`../shared not found at ${sharedDir}: tests on real models and data are skipped`);
}

/** Absolute path of a file in ../shared. */
export function sharedPath(relative: string): string {
  return join(sharedDir, relative);
}

export function readShared(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(sharedPath(relative)));
}

/** `describe` that is skipped, with the reason in its title, when ../shared is absent. */
export const describeShared: typeof describe = hasShared
  ? describe
  : (describe.skip as unknown as typeof describe);

export const sharedSkipReason = hasShared
  ? ''
  : ' (skipped: ../shared with models and data is absent)';
