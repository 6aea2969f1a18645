import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/shared.ts';

describe('relaxed-SIMD build (kernels-relaxed.wasm)', () => {
  it('matches the float64 references and projects exactly like the default build', () => {
    const script = fileURLToPath(new URL('./relaxedCheck.ts', import.meta.url));
    const out = execFileSync(
      process.execPath,
      ['--experimental-wasm-relaxed-simd', '--import', 'tsx', script],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    const res = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(res.name).toBe('wasm-relaxed-simd');
    expect(res.sgemmErr).toBeLessThan(1e-5);
    expect(res.mttkrpErr).toBeLessThan(1e-5);
    expect(res.projectionIdentical).toBe(true);
  });
});
