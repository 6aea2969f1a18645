// The security headers are defined once (deploy/securityHeaders.ts, used by vite.config.ts);
// deploy/_headers and the nginx snippet in deploy/README.md must say exactly the same.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, securityHeaders } from '../../deploy/securityHeaders.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('deploy headers', () => {
  const expected = securityHeaders();

  it('deploy/_headers sets every header, for every path', () => {
    const lines = read('deploy/_headers').split('\n');
    const start = lines.indexOf('/*');
    expect(start).toBeGreaterThanOrEqual(0);
    const headers = Object.fromEntries(
      lines
        .slice(start + 1)
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const colon = l.indexOf(':');
          return [l.slice(0, colon).trim(), l.slice(colon + 1).trim()];
        }),
    );
    expect(headers).toEqual(expected);
  });

  it('the nginx snippet in deploy/README.md adds every header, always', () => {
    const found = [
      ...read('deploy/README.md').matchAll(/^\s*add_header (\S+) "([^"]*)" (\w+);$/gm),
    ];
    expect(Object.fromEntries(found.map((m) => [m[1], m[2]]))).toEqual(expected);
    expect(found.every((m) => m[3] === 'always')).toBe(true);
  });

  it('the policy: no unsafe-eval, no inline script; the dev nonce only where Vite inlines', () => {
    const csp = contentSecurityPolicy();
    expect(csp).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("frame-ancestors 'none'");
    const dev = contentSecurityPolicy('abc');
    expect(dev).toContain("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc'");
    expect(dev).toContain("style-src 'self' 'nonce-abc'");
    expect(dev.replaceAll(" 'nonce-abc'", '')).toBe(csp);
    expect(expected['Cross-Origin-Opener-Policy']).toBe('same-origin');
    expect(expected['Cross-Origin-Embedder-Policy']).toBe('require-corp');
  });
});
