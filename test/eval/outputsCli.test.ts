// The CLI for models that are not single-input image classifiers: `qaf eval --inputs` compares
// any model with its original output by output on the user's arrays (a two-input model from an
// .npz here), and `qaf compress -o` calibrates a 1-D conv audio model on a 3-D .npy, checks it on
// other arrays next to an 8-bit PTQ, and exits 1 writing nothing when the verdict fails.
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
import { DataType } from '../../src/core/onnx/types.ts';
import { npyBytes, zipBytes } from '../data/fixtures.ts';
import { randomArray } from '../rewrite/helpers.ts';

const failVerdict = vi.hoisted(() => ({ on: false }));
vi.mock('../../src/core/eval/verdict.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/eval/verdict.ts')>();
  return {
    ...real,
    judgeOutputs: (...args: Parameters<typeof real.judgeOutputs>) => {
      const v = real.judgeOutputs(...args);
      return failVerdict.on ? { ...v, ok: false, summary: `(simulated) ${v.summary}` } : v;
    },
  };
});

const dir = mkdtempSync(join(tmpdir(), 'qaf-outputs-'));
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

/** y = x * w + b, with two inputs x and b of shape [N, 2, 5]. */
function twoInputs(w: number): Uint8Array {
  const graph = makeGraph({
    nodes: [makeNode('Mul', ['x', 'w'], ['t']), makeNode('Add', ['t', 'b'], ['y'])],
    inputs: [
      makeValueInfo('x', DataType.FLOAT, ['N', 2, 5]),
      makeValueInfo('b', DataType.FLOAT, ['N', 2, 5]),
    ],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['N', 2, 5])],
    initializers: [makeTensor('w', DataType.FLOAT, [1], [w])],
  });
  return writeModel(makeModel(graph));
}

/** Two 1-D convs on audio [N, 1, 256]: 1 -> 16 channels (k 9), 16 -> 32 (k 5), then Relu. */
function audioModel(): Uint8Array {
  const graph = makeGraph({
    nodes: [
      makeNode('Conv', ['x', 'w1'], ['c1'], { kernel_shape: [9], pads: [4, 4] }, { name: 'c1' }),
      makeNode('Relu', ['c1'], ['r1']),
      makeNode('Conv', ['r1', 'w2'], ['c2'], { kernel_shape: [5], pads: [2, 2] }, { name: 'c2' }),
      makeNode('Relu', ['c2'], ['y']),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, ['N', 1, 256])],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['N', 32, 256])],
    initializers: [
      makeTensor('w1', DataType.FLOAT, [16, 1, 9], randomArray(144, 5, 0.3)),
      makeTensor('w2', DataType.FLOAT, [32, 16, 5], randomArray(2560, 6, 0.2)),
    ],
  });
  return writeModel(makeModel(graph));
}

function capture() {
  const out: string[] = [];
  const errors: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((m: unknown) => void out.push(String(m)));
  vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { out, errors };
}

describe('qaf eval --inputs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('compares a two-input model with its original on an .npz, output by output', async () => {
    const reference = file('ref.onnx', twoInputs(1));
    const model = file('model.onnx', twoInputs(1.1));
    const x = Float32Array.from({ length: 30 }, (_, i) => (i % 7) - 3);
    const npz = file(
      'inputs.npz',
      zipBytes({
        'x.npy': npyBytes('<f4', [3, 2, 5], x),
        'b.npy': npyBytes('<f4', [3, 2, 5], new Float32Array(30).fill(1)),
      }),
    );
    const { out } = capture();
    expect(await main(['eval', model, '--inputs', npz, '--reference', reference, '--json'])).toBe(
      0,
    );
    const report = JSON.parse(out[0]);
    expect(report.samples).toBe(3);
    expect(report.outputs).toHaveLength(1);
    expect(report.outputs[0]).toMatchObject({ name: 'y', kind: 'values', top1Agreement: null });
    expect(report.outputs[0].maxAbsDiff).toBeCloseTo(0.3, 5);
    out.length = 0;
    expect(await main(['eval', model, '--inputs', npz, '--reference', reference])).toBe(0);
    expect(out.join('\n')).toMatch(/output\s+dims\s+kind\s+rel. L2/);
  });

  it('names the input that has no array, and asks for --reference', async () => {
    const reference = file('ref2.onnx', twoInputs(1));
    const xOnly = file('x.npy', npyBytes('<f4', [1, 2, 5], new Float32Array(10)));
    const { errors } = capture();
    expect(await main(['eval', reference, '--inputs', xOnly, '--reference', reference])).toBe(1);
    expect(errors.join('\n')).toMatch(/no array for model input "b"/);
    expect(await main(['eval', reference, '--inputs', xOnly])).toBe(1);
    expect(errors.join('\n')).toMatch(/give --reference ORIGINAL.onnx/);
  });
});

describe('qaf compress -o on a 1-D conv model with array data', () => {
  afterEach(() => {
    failVerdict.on = false;
    vi.restoreAllMocks();
  });

  const wave = (n: number, seed: number) =>
    Float32Array.from({ length: n * 256 }, (_, i) =>
      Math.sin((i % 256) * 0.07 * (1 + ((i >> 8) % 5)) + seed),
    );

  it('calibrates on a 3-D .npy, checks on other arrays next to 8-bit PTQ, and fails without writing when the verdict fails', async () => {
    const model = file('audio.onnx', audioModel());
    const calibration = file('calib.npy', npyBytes('<f4', [16, 1, 256], wave(16, 0)));
    const check = file('check.npy', npyBytes('<f4', [4, 1, 256], wave(4, 1)));
    const out = join(dir, 'audio_r2w4.onnx');
    const args = ['compress', model, '--method', 'admm', '--rate', '2', '--bits', '4'];
    const io = ['-o', out, '--calibration-data', calibration, '--check-data', check];
    const { out: lines, errors } = capture();
    expect(await main([...args, ...io]), errors.join('\n')).toBe(0);
    expect(existsSync(out)).toBe(true);
    const text = lines.join('\n');
    expect(text).toMatch(/calibrated after compression/);
    expect(text).toMatch(/4 samples of your inputs \(check.npy\)/);
    expect(text).toMatch(/8-bit PTQ/);

    failVerdict.on = true;
    const out2 = join(dir, 'audio_fail.onnx');
    expect(await main([...args, '-o', out2, '--check-data', check])).toBe(1);
    expect(errors.join('\n')).toMatch(/failed its check, so nothing was written .*: \(simulated\)/);
    expect(existsSync(out2)).toBe(false);
    // --keep-failed writes it anyway, and the command still fails and says so.
    expect(await main([...args, '-o', out2, '--check-data', check, '--keep-failed'])).toBe(1);
    expect(errors.join('\n')).toMatch(/failed its check, written to .* as asked \(--keep-failed\)/);
    expect(existsSync(out2)).toBe(true);
  });
});
