// preflight: before any solving, the file asked for must be writable and loadable; refusals are
// one sentence with a suggestion.
import { describe, expect, it } from 'vitest';
import type { Allocation } from '../../src/core/factor/modelJobs.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType, type NodeProto } from '../../src/core/onnx/types.ts';
import { PreflightError, preflight, targetOpset } from '../../src/core/pipeline/preflight.ts';
import { prepareModel } from '../../src/core/pipeline/prepare.ts';
import { randomArray } from '../rewrite/helpers.ts';

const F = DataType.FLOAT;

// x [1,16,6,6] -> Conv 3x3 16->32 (4,608 weights: factorizable) -> tail -> y
function modelBytes(
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
    inputs: [makeValueInfo('x', F, [1, 16, 6, 6])],
    outputs: [makeValueInfo('y', F)],
    initializers: [makeTensor('w', F, [32, 16, 3, 3], randomArray(4608, 3, 0.2)), ...inits],
  });
  return writeModel(makeModel(graph, { opset, irVersion: opset >= 11 ? 6 : 4 }));
}

const admm = (bits: number): Allocation => ({ settings: { method: 'admm', rate: 2, bits } });

describe('preflight', () => {
  it('proves an opset-9 model with Clip-6 can be raised to 21 for 4-bit codes', async () => {
    const prepared = await prepareModel(
      modelBytes(9, [makeNode('Clip', ['c'], ['y'], { min: 0.25, max: 6.5 })]),
    );
    expect(targetOpset(prepared, admm(4))).toBe(21);
    expect(targetOpset(prepared, admm(8))).toBe(13);
    expect(
      targetOpset(
        prepared,
        { settings: { method: 'cp', rate: 2, bits: 32 } },
        { otherWeightBits: 32 },
      ),
    ).toBe(0);
    const report = await preflight(prepared, admm(4));
    expect(report.targetOpset).toBe(21);
    expect(report.notes.join('\n')).toMatch(/opset 9 -> 21: .*matches the original/);
  });

  it('puts 4-bit codes in INT8 containers when opset 21 is out of reach but 13 is not', async () => {
    const prepared = await prepareModel(
      modelBytes(
        18,
        [makeNode('GroupNormalization', ['c', 's', 'b'], ['y'], { num_groups: 2 })],
        [makeTensor('s', F, [2], [1, 2]), makeTensor('b', F, [2], [0, 1])],
      ),
    );
    const report = await preflight(prepared, admm(4));
    expect(report.targetOpset).toBe(18);
    expect(report.notes.join('\n')).toMatch(/INT8 containers .*GroupNormalization/);
    // 8-bit codes need opset 13 only: nothing to raise.
    await expect(preflight(prepared, admm(8))).resolves.toMatchObject({ targetOpset: 18 });
  });

  it('refuses before solving when not even opset 13 is reachable, with a suggestion', async () => {
    // Dropout with a mask output changed in opset 12 and is not converted.
    const prepared = await prepareModel(
      modelBytes(9, [makeNode('Dropout', ['c'], ['y', 'mask'], { ratio: 0.5 })]),
    );
    const run = preflight(prepared, admm(4));
    await expect(run).rejects.toThrow(PreflightError);
    await expect(preflight(prepared, admm(4))).rejects.toThrow(/Dropout.*re-export/);
  });

  it('says why when the model has no layer to compress', async () => {
    const prepared = await prepareModel(modelBytes(13, [makeNode('Relu', ['c'], ['y'])]).slice());
    const none = await prepareModel(
      writeModel(
        makeModel(
          makeGraph({
            nodes: [makeNode('Relu', ['x'], ['y'])],
            inputs: [makeValueInfo('x', F, [1, 4])],
            outputs: [makeValueInfo('y', F)],
          }),
        ),
      ),
    );
    await expect(preflight(none, admm(4))).rejects.toThrow(/no layer to compress/);
    const keepAll: Allocation = { ...admm(4), overrides: { conv: 'keep' } };
    await expect(preflight(prepared, keepAll)).rejects.toThrow(
      /none of the model's 1 weight layers is selected/,
    );
  });
});
