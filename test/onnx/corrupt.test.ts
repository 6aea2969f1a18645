import { describe, expect, it } from 'vitest';
import {
  DataType,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  OnnxExternalDataError,
  OnnxFormatError,
  readModel,
  writeModel,
} from '../../src/core/onnx/index.ts';
import { describeShared, readShared } from '../support/shared.ts';

function smallModel(): Uint8Array {
  const graph = makeGraph({
    nodes: [
      makeNode(
        'Conv',
        ['x', 'w', 'b'],
        ['y'],
        { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
        { name: 'conv' },
      ),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 4, 8, 8])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, 8, 8, 8])],
    initializers: [
      makeTensor('w', DataType.FLOAT, [8, 4, 3, 3], new Float32Array(288).fill(0.5)),
      makeTensor('b', DataType.FLOAT, [8], new Float32Array(8)),
    ],
  });
  return writeModel(makeModel(graph));
}

/** Deterministic bytes (xorshift32): the test must not depend on luck. */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

function expectFormatError(bytes: Uint8Array): OnnxFormatError {
  try {
    readModel(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(OnnxFormatError);
    expect((err as Error).message).toMatch(/^not a valid ONNX model: |^tensor /);
    return err as OnnxFormatError;
  }
  throw new Error(`accepted ${bytes.length} bytes that are not a valid model`);
}

describe('invalid files', () => {
  const bytes = smallModel();

  it('reads the intact model', () => {
    expect(readModel(bytes).graph.node).toHaveLength(1);
  });

  it('rejects the empty file', () => {
    expect(expectFormatError(new Uint8Array()).message).toMatch(/empty/);
  });

  it('rejects the model truncated at any byte', () => {
    for (let cut = 1; cut < bytes.length; cut++) expectFormatError(bytes.subarray(0, cut));
  });

  it('rejects random bytes', () => {
    for (const seed of [1, 2, 3, 42, 1234, 99991]) {
      for (const length of [1, 7, 100, 4096]) expectFormatError(randomBytes(length, seed));
    }
  });

  it('rejects text and other formats', () => {
    expectFormatError(new TextEncoder().encode('# QAF Workbench\nnot a model\n'));
    expectFormatError(new TextEncoder().encode('{"model": 1}'));
    expectFormatError(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a));
  });

  it('names the missing file of a model with external data', () => {
    const w = { name: 'w', dataType: DataType.FLOAT, dims: [8, 4, 3, 3], dataLocation: 1 };
    const graph = makeGraph({
      nodes: [makeNode('Conv', ['x', 'w'], ['y'])],
      inputs: [makeValueInfo('x', DataType.FLOAT, [1, 4, 8, 8])],
      outputs: [makeValueInfo('y', DataType.FLOAT)],
      initializers: [
        {
          ...w,
          externalData: [
            { key: 'location', value: 'weights.bin' },
            { key: 'offset', value: '0' },
          ],
        },
      ],
    });
    const err = expectFormatError(writeModel(makeModel(graph)));
    expect(err).toBeInstanceOf(OnnxExternalDataError);
    expect(err.message).toContain('"weights.bin"');
    expect(err.message).toMatch(/external data/);
    expect((err as OnnxExternalDataError).location).toBe('weights.bin');
  });
});

describeShared('truncated shared model', () => {
  it('rejects ResNet-20 cut at several points', () => {
    const bytes = readShared('models/resnet20_cifar10.onnx');
    for (const cut of [
      1,
      2,
      10,
      100,
      1000,
      50_000,
      bytes.length >> 1,
      bytes.length - 100,
      bytes.length - 1,
    ]) {
      expectFormatError(bytes.subarray(0, cut));
    }
  });
});
