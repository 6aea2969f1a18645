// `qaf compress -o` never reports success for a file onnxruntime refuses: when the pipeline's
// check fails (WrittenModelError), the command exits non-zero with that message and writes
// nothing; a model that needs a conversion we do not have is refused before any solving.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType, type NodeProto } from '../../src/core/onnx/types.ts';
import { randomArray } from '../rewrite/helpers.ts';

const failCheck = vi.hoisted(() => ({ on: false }));
vi.mock('../../src/core/pipeline/check.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/pipeline/check.ts')>();
  return {
    ...real,
    checkWrittenModel: (...args: Parameters<typeof real.checkWrittenModel>) => {
      if (failCheck.on) {
        throw new real.WrittenModelError(
          'the compressed model does not load in onnxruntime, so it was not reported as a success: (simulated)',
        );
      }
      return real.checkWrittenModel(...args);
    },
  };
});

function modelFile(
  opset: number,
  tail: NodeProto[],
  inits = [] as ReturnType<typeof makeTensor>[],
) {
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['x', 'w'],
        ['c'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv' },
      ),
      ...tail,
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 16, 6, 6])],
    outputs: [makeValueInfo('y', DataType.FLOAT)],
    initializers: [
      makeTensor('w', DataType.FLOAT, [32, 16, 3, 3], randomArray(4608, 3, 0.2)),
      ...inits,
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'qaf-exit-'));
  const path = join(dir, 'model.onnx');
  writeFileSync(path, writeModel(makeModel(graph, { opset, irVersion: 8 })));
  return { path, out: join(dir, 'out.onnx') };
}

describe('qaf compress -o exit codes', () => {
  afterEach(() => {
    failCheck.on = false;
    vi.restoreAllMocks();
  });

  it('exits 1 with the check message and writes nothing when the written model fails the check', async () => {
    const { path, out } = modelFile(13, [makeNode('Relu', ['c'], ['y'])]);
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    failCheck.on = true;
    const code = await main(['compress', path, '--method', 'ptq', '--bits', '8', '-o', out]);
    expect(code).toBe(1);
    expect(errors.join('\n')).toMatch(/does not load in onnxruntime/);
    expect(existsSync(out)).toBe(false);
    failCheck.on = false;
    expect(await main(['compress', path, '--method', 'ptq', '--bits', '8', '-o', out])).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('refuses before solving when the opset the output needs cannot be reached', async () => {
    // Dropout with a mask output changed in opset 12 and is not converted: no opset 13 or 21.
    const { path, out } = modelFile(9, [makeNode('Dropout', ['c'], ['y', 'mask'], { ratio: 0.5 })]);
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    const progress: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((m) => progress.push(String(m)) > 0);
    const code = await main([
      'compress',
      path,
      '--method',
      'admm',
      '--rate',
      '2',
      '--bits',
      '4',
      '-o',
      out,
    ]);
    expect(code).toBe(1);
    expect(errors.join('\n')).toMatch(/cannot raise the model from opset 9 to 21: Dropout/);
    // No layer was factorized: the per-layer progress lines never started.
    expect(progress.join('')).not.toMatch(/\[1\/1\]/);
    expect(existsSync(out)).toBe(false);
  });
});
