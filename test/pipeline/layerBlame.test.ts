// A failed check names the layers to keep: the compressed layers whose output error (written
// model vs original, on the check's inputs) exceeds their input's error the most.
import * as ort from 'onnxruntime-web/wasm';
import { describe, expect, it } from 'vitest';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { blameLayers, describeBlame } from '../../src/core/pipeline/layerBlame.ts';
import { randomArray } from '../rewrite/helpers.ts';

const F = DataType.FLOAT;

function threeConvs(scaleB: number, shiftC: number): Uint8Array {
  const conv = (name: string, x: string, y: string) =>
    makeNode('Conv', [x, `${name}_w`], [y], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name });
  const w = (name: string, seed: number, scale = 1, shift = 0) =>
    makeTensor(
      `${name}_w`,
      F,
      [8, 8, 3, 3],
      Float32Array.from(randomArray(576, seed, 0.2), (v) => v * scale + shift),
    );
  return writeModel(
    makeModel(
      makeGraph({
        nodes: [
          conv('a', 'x', 'ya'),
          makeNode('Relu', ['ya'], ['ra']),
          conv('b', 'ra', 'yb'),
          makeNode('Relu', ['yb'], ['rb']),
          conv('c', 'rb', 'y'),
        ],
        inputs: [makeValueInfo('x', F, [2, 8, 6, 6])],
        outputs: [makeValueInfo('y', F)],
        initializers: [w('a', 1), w('b', 2, scaleB), w('c', 3, 1, shiftC)],
      }),
      { opset: 13 },
    ),
  );
}

describe('blameLayers', () => {
  it('names the layer that adds the error, not the ones that only pass it on', async () => {
    const layers = [
      { name: 'a', input: 'x', output: 'ya' },
      { name: 'b', input: 'ra', output: 'yb' },
      { name: 'c', input: 'rb', output: 'y' },
    ];
    const feeds = { x: new ort.Tensor('float32', randomArray(2 * 8 * 36, 9), [2, 8, 6, 6]) };
    const blame = await blameLayers(threeConvs(1, 0), threeConvs(-1, 0), feeds, layers);
    expect(blame.map((l) => l.name)).toEqual(['b']);
    expect(blame[0].inputError).toBe(0);
    expect(blame[0].outputError).toBeCloseTo(2, 5);
    expect(describeBlame(blame)).toBe(
      'the layers adding the most error, to keep as they are (or calibrate): "b" (rel. L2 0.00 in -> 2.00 out)',
    );
    // Nothing close: nobody is named.
    expect(await blameLayers(threeConvs(1, 0), threeConvs(1.001, 0), feeds, layers)).toEqual([]);
  });
});
