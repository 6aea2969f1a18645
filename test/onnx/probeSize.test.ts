// Shape probing never runs a model at a huge declared input (issue #17: 3.8 GB, 47 s).
import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../../src/core/onnx/analyzeModel.ts';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/core/onnx/builders.ts';
import { DataType } from '../../src/core/onnx/types.ts';

describe('shape probing', () => {
  it('skips the runtime pass for a declared 3x4000x4000 input and says why', async () => {
    // NonZero has no static shape rule, so static inference leaves its output undecided.
    const graph = makeGraph({
      nodes: [makeNode('NonZero', ['x'], ['y'], {}, { name: 'nz' })],
      inputs: [makeValueInfo('x', DataType.FLOAT, [1, 3, 4000, 4000])],
      outputs: [makeValueInfo('y', DataType.INT64)],
    });
    const analysis = await analyzeModel(makeModel(graph, { opset: 13 }));
    expect(analysis.usedRuntime).toBe(false);
    expect(analysis.runtimeError).toMatch(/too large to probe shapes.*smaller input shape/);
  });
});
