// Issue #12, bad input: a model whose input has symbolic sizes and no shape given is measured and
// checked at 1 for them; the pipeline says so in one sentence with what to do, in the report too.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { jsKernels } from '../../src/core/kernels/js.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { compressModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { randomArray } from '../rewrite/helpers.ts';

const F = DataType.FLOAT;

function dynamicConv(): Uint8Array {
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['x', 'w'],
        ['y'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv' },
      ),
    ],
    inputs: [makeValueInfo('x', F, ['N', 8, 'H', 'W'])],
    outputs: [makeValueInfo('y', F)],
    initializers: [makeTensor('w', F, [16, 8, 3, 3], randomArray(1152, 1))],
  });
  return writeModel(makeModel(graph, { opset: 13 }));
}

describe('symbolic input sizes without a shape', () => {
  it('are named in one sentence with what to do, in the warnings and the report', async () => {
    const bytes = dynamicConv();
    const prepared = await prepareModel(bytes);
    const warning = prepared.warnings.find((w) => w.startsWith('input "x" (H, W)'));
    expect(warning).toMatch(/taken as 1.*input shape.*--check-data\)$/);
    const out = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: { settings: { method: 'ptq', bits: 8, perChannel: true } },
    });
    expect(out.report.notes[0]).toBe(warning);
    // A batch dim alone, or a shape given for the input, is not worth a word.
    const shaped = await prepareModel(bytes, { inputShapes: { x: [1, 8, 12, 12] } });
    expect(shaped.warnings).toEqual([]);
  });
});

describe('qaf compress --input-shape', () => {
  afterEach(() => vi.restoreAllMocks());

  it('measures and checks at the given shape, and the symbolic-size sentence goes away', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qaf-shape-'));
    const path = join(dir, 'dyn.onnx');
    writeFileSync(path, dynamicConv());
    const run = async (...extra: string[]) => {
      const lines: string[] = [];
      vi.spyOn(process.stderr, 'write').mockImplementation((m) => lines.push(String(m)) > 0);
      vi.spyOn(console, 'log').mockImplementation((m: unknown) => void lines.push(String(m)));
      const out = join(dir, `out${extra.length}.onnx`);
      const args = ['compress', path, '--method', 'ptq', '--bits', '8', '-o', out, ...extra];
      const code = await main(args);
      vi.restoreAllMocks();
      return { code, text: lines.join('') };
    };
    const open = await run();
    expect(open.code).toBe(0);
    expect(open.text).toContain('input "x" (H, W) has symbolic dimensions');
    const shaped = await run('--input-shape', '1,8,12,12');
    expect(shaped.code).toBe(0);
    expect(shaped.text).not.toContain('symbolic dimensions');
    expect(shaped.text).toMatch(/MACs 165888\b/);
  });
});
