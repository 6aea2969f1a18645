// An output that is all zero in both models (PP-OCR det checked at 1x1) has no cosine and an
// SQNR of -Infinity: the check says in words that it cannot judge it, and judges the others.
import { describe, expect, it } from 'vitest';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { checkWrittenModel, describeCheck } from '../../src/core/pipeline/check.ts';
import { randomArray } from '../rewrite/helpers.ts';

const F = DataType.FLOAT;

/** z = x W; y = 0 * z (every value 0 whatever the weights). */
function model(shift: number): Uint8Array {
  const w = Float32Array.from(randomArray(12, 3, 0.5), (v) => v + shift);
  return writeModel(
    makeModel(
      makeGraph({
        nodes: [makeNode('MatMul', ['x', 'w'], ['z']), makeNode('Mul', ['z', 'zero'], ['y'])],
        inputs: [makeValueInfo('x', F, [1, 4])],
        outputs: [makeValueInfo('y', F, [1, 3]), makeValueInfo('z', F, [1, 3])],
        initializers: [makeTensor('w', F, [4, 3], w), makeTensor('zero', F, [1], [0])],
      }),
    ),
  );
}

describe('the check on an all-zero output', () => {
  it('says the output cannot be judged, once, with no NaN, and still judges the others', async () => {
    const original = model(0);
    const check = await checkWrittenModel(readModel(original), original, model(0.001), null, {
      peerBytes: model(0.0005),
    });
    expect(check.outputs[0].constantValue).toBe(0);
    expect(check.verdict.ok).toBe(true);
    expect(check.verdict.unjudged).toEqual(['y']);
    const line = describeCheck(check);
    expect(line).not.toMatch(/NaN|Infinity/);
    expect(line.match(/both outputs are all zero on these inputs/g)).toHaveLength(1);
    expect(line).toMatch(/the check cannot judge this output; give realistic inputs/);
    expect(line).toMatch(
      /z: top-1 agreement .*rel\. L2 .*the other outputs are not far from an 8-bit PTQ/,
    );
  });
});
