// Issue #12: 4-bit codes for a model whose opset cannot be raised to 21 (INT4) are written in INT8
// containers at the opset it has, not refused: same values, twice the bytes, said in the report;
// the file loads and runs next to the original.
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/core/kernels/index.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { compressModel } from '../../src/core/pipeline/compressModel.ts';
import { prepareModel } from '../../src/core/pipeline/prepare.ts';
import { randomArray } from '../rewrite/helpers.ts';

const F = DataType.FLOAT;

/** Conv 16 -> 32 then GroupNormalization-18, which changed meaning in opset 21. */
function groupNormModel(): Uint8Array {
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['x', 'w'],
        ['c'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv' },
      ),
      makeNode('GroupNormalization', ['c', 's', 'b'], ['y'], { num_groups: 2 }),
    ],
    inputs: [makeValueInfo('x', F, [1, 16, 6, 6])],
    outputs: [makeValueInfo('y', F, [1, 32, 6, 6])],
    initializers: [
      makeTensor('w', F, [32, 16, 3, 3], randomArray(4608, 3, 0.2)),
      makeTensor('s', F, [2], [1, 2]),
      makeTensor('b', F, [2], [0, 1]),
    ],
  });
  return writeModel(makeModel(graph, { opset: 18, irVersion: 8 }));
}

describe('INT8 containers for 4-bit codes', () => {
  it('writes a loadable opset-18 model with 4-bit values in INT8 and says so', async () => {
    const prepared = await prepareModel(groupNormModel());
    const out = await compressModel({
      prepared,
      kernels: await loadKernels(),
      allocation: { settings: { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0 } },
    });
    const model = readModel(out.bytes);
    expect(model.opsetImport?.find((o) => !o.domain)?.version).toBe(18);
    const inits = model.graph.initializer ?? [];
    expect(inits.some((t) => t.dataType === DataType.INT4)).toBe(false);
    const codes = inits.filter((t) => t.dataType === DataType.INT8 && t.name?.includes('codes'));
    expect(codes.length).toBeGreaterThanOrEqual(3);
    for (const t of codes) {
      const values = new Int8Array(t.rawData!.buffer, t.rawData!.byteOffset, t.rawData!.length);
      expect(values.every((v) => v >= -8 && v <= 7)).toBe(true);
    }
    expect(out.report.notes.join('\n')).toMatch(/INT8\) containers \(8 bits a code, not 4\)/);
    // The pipeline's check loaded and ran it next to the original.
    expect(out.check?.outputs[0].relativeL2).toBeLessThan(1);
  });
});
