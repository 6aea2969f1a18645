import { describe, expect, it } from 'vitest';
import {
  analyzeModel,
  DataType,
  discoverLayers,
  inferShapes,
  inferShapesWithRuntime,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  readModel,
  writeModel,
} from '../../src/core/onnx/index.ts';

// SpaceToDepth has no static rule: the conv after it only gets a shape from the runtime run.
function unknownOpModel(input: (number | string)[]) {
  const graph = makeGraph({
    nodes: [
      makeNode('SpaceToDepth', ['x'], ['s'], { blocksize: 2 }),
      makeNode(
        'Conv',
        ['s', 'w'],
        ['y'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv' },
      ),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, input)],
    outputs: [makeValueInfo('y', DataType.FLOAT)],
    initializers: [
      makeTensor('w', DataType.FLOAT, [8, 12, 3, 3], new Float32Array(8 * 12 * 9).fill(0.1)),
    ],
  });
  return readModel(writeModel(makeModel(graph, { opset: 13 })));
}

describe('runtime shape fallback', () => {
  it('static inference reports the op it cannot handle and leaves MACs unknown', () => {
    const m = unknownOpModel([1, 3, 16, 16]);
    const shapes = inferShapes(m);
    expect(shapes.unresolved).toEqual([
      { nodeIndex: 0, opType: 'SpaceToDepth', reason: 'no shape rule for SpaceToDepth' },
    ]);
    expect(shapes.shapes.get('s')).toBeUndefined();
    expect(discoverLayers(m, shapes)[0].macs).toBeNull();
  });

  it('onnxruntime measures the missing shapes', async () => {
    const m = unknownOpModel([1, 3, 16, 16]);
    const shapes = await inferShapesWithRuntime(m);
    expect(shapes.shapes.get('s')).toEqual([1, 12, 8, 8]);
    expect(shapes.shapes.get('y')).toEqual([1, 8, 8, 8]);
    expect(shapes.unresolved).toEqual([]);
    expect(discoverLayers(m, shapes)[0].macs).toBe(8 * 12 * 9 * 64);
    // The model itself is untouched by the probe.
    expect(m.graph.output).toHaveLength(1);
  });

  it('uses the given input shape, and 1 for symbolic dims left open', async () => {
    const m = unknownOpModel(['N', 3, 'H', 'W']);
    const given = await inferShapesWithRuntime(m, { x: [2, 3, 32, 16] });
    expect(given.shapes.get('y')).toEqual([2, 8, 16, 8]);
    expect(discoverLayers(m, given)[0].macs).toBe(8 * 12 * 9 * 128);
  });
});

describe('analyzeModel', () => {
  it('runs the runtime pass only when static inference leaves something open', async () => {
    const m = unknownOpModel([1, 3, 16, 16]);
    const a = await analyzeModel(m);
    expect(a.usedRuntime).toBe(true);
    expect(a.runtimeError).toBeUndefined();
    expect(a.layers[0].macs).toBe(8 * 12 * 9 * 64);
    expect(a.summary.macs).toBe(8 * 12 * 9 * 64);
    expect(a.summary.layerCount).toBe(1);
  });

  it('keeps the static shapes and says why when the runtime cannot run the model', async () => {
    const m = unknownOpModel([1, 5, 16, 16]);
    const a = await analyzeModel(m);
    expect(a.usedRuntime).toBe(true);
    expect(a.runtimeError).toMatch(/\S/);
    expect(a.layers[0].macs).toBeNull();
    expect(a.summary.macs).toBeNull();
  });
});
