import { describe, expect, it } from 'vitest';
import {
  DataType,
  discoverLayers,
  inferShapes,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  type OnnxModel,
  readModel,
  summarizeModel,
  type TensorProto,
  writeModel,
} from '../../src/core/onnx/index.ts';
import { describeShared, readShared } from '../support/shared.ts';

function initializerBytes(model: OnnxModel): Map<string, Uint8Array> {
  return new Map(
    (model.graph.initializer ?? []).map((t: TensorProto) => [
      t.name ?? '',
      t.rawData ?? new Uint8Array(),
    ]),
  );
}

/** The model without raw tensor bytes: deep-equal over megabytes of Uint8Array is very slow. */
function withoutRawData(model: OnnxModel): OnnxModel {
  const initializer = (model.graph.initializer ?? []).map(({ rawData, ...rest }) => ({
    ...rest,
    rawBytes: rawData?.length,
  }));
  return { ...model, graph: { ...model.graph, initializer } };
}

describeShared('shared ResNets', () => {
  const cases = [
    {
      file: 'models/resnet20_cifar10.onnx',
      layers: 20,
      convs: 19,
      params: 269_034,
      macs: 40_551_040,
    },
    {
      file: 'models/resnet56_cifar10.onnx',
      layers: 56,
      convs: 55,
      params: 850_986,
      macs: 125_485_696,
    },
  ];
  for (const c of cases) {
    it(`${c.file}: ${c.layers} weight layers, ${c.params} params, ${c.macs} MACs per image`, () => {
      const model = readModel(readShared(c.file));
      const shapes = inferShapes(model);
      expect(shapes.unresolved).toEqual([]);
      const layers = discoverLayers(model, shapes);
      expect(layers).toHaveLength(c.layers);
      expect(layers.filter((l) => l.op === 'Conv')).toHaveLength(c.convs);
      expect(layers.filter((l) => l.op === 'Gemm')).toHaveLength(1);
      const summary = summarizeModel(model, layers);
      expect(summary.params).toBe(c.params);
      expect(summary.floatInitializerElements).toBe(c.params);
      expect(summary.macs).toBe(c.macs);
      expect(summary.opset).toBe(13);
      expect(summary.inputs).toEqual([
        { name: 'input', elemType: DataType.FLOAT, shape: ['batch', 3, 32, 32] },
      ]);
      // The symbolic batch stays visible in shapes while MACs count one image.
      expect(layers[0].outputShape).toEqual(['batch', 16, 32, 32]);
      expect(layers.at(-1)?.outputShape).toEqual(['batch', 10]);
      expect(layers[0].factorizable).toBe(false);
      expect(layers[1].reason).toBe('3x3 conv: CP rank-R (3-way)');
    });

    it(`${c.file}: a concrete batch gives the same MACs per image`, () => {
      const model = readModel(readShared(c.file));
      const layers = discoverLayers(
        model,
        inferShapes(model, { inputShapes: { input: [8, 3, 32, 32] } }),
      );
      expect(layers[0].outputShape).toEqual([8, 16, 32, 32]);
      expect(summarizeModel(model, layers).macs).toBe(c.macs);
    });

    it(`${c.file}: read-write-read keeps the graph and every initializer byte`, () => {
      const first = readModel(readShared(c.file));
      const second = readModel(writeModel(first));
      expect(withoutRawData(second)).toEqual(withoutRawData(first));
      const a = initializerBytes(first);
      const b = initializerBytes(second);
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const [name, bytes] of a)
        expect(Buffer.compare(Buffer.from(b.get(name)!), Buffer.from(bytes))).toBe(0);
    });
  }
});

describe('round trip of every field kind', () => {
  it('keeps metadata, doc strings, value_info, int64 extremes and typed payloads', () => {
    const big = makeTensor(
      'big',
      DataType.INT64,
      [3],
      [9223372036854775807n, -9223372036854775808n, 5n],
    );
    const typed: TensorProto = {
      name: 'typed',
      dataType: DataType.INT64,
      dims: [2],
      int64Data: BigInt64Array.of(-1n, 2n ** 62n),
    };
    const graph = makeGraph({
      nodes: [
        makeNode('Slice', ['x', 'starts', 'ends'], ['y'], {}, { name: 'slice' }),
        makeNode('Identity', ['y'], ['z'], {}, { name: 'id', domain: '' }),
      ],
      inputs: [makeValueInfo('x', DataType.FLOAT, ['n', 4])],
      outputs: [makeValueInfo('z', DataType.FLOAT, [null, 4])],
      initializers: [
        makeTensor('starts', DataType.INT64, [1], [1]),
        {
          name: 'ends',
          dataType: DataType.INT64,
          dims: [1],
          int64Data: BigInt64Array.of(9223372036854775807n),
        },
        big,
        typed,
        {
          name: 'f',
          dataType: DataType.FLOAT,
          dims: [2],
          floatData: [1.5, -2],
          docString: 'typed floats',
        },
      ],
      valueInfo: [makeValueInfo('y', DataType.FLOAT, ['n', 4])],
    });
    graph.docString = 'doc';
    graph.metadataProps = [{ key: 'k', value: 'v' }];
    graph.quantizationAnnotation = [
      { tensorName: 'y', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 's' }] },
    ];
    const model: OnnxModel = {
      ...makeModel(graph, { opset: 13 }),
      modelVersion: 3,
      docString: 'model doc',
      metadataProps: [{ key: 'author', value: 'qaf' }],
      opsetImport: [
        { domain: '', version: 13 },
        { domain: 'com.microsoft', version: 1 },
      ],
      functions: [
        {
          name: 'f',
          domain: 'local',
          input: ['a'],
          output: ['b'],
          node: [makeNode('Relu', ['a'], ['b'])],
        },
      ],
      trainingInfo: [{ updateBinding: [{ key: 'w', value: 'w2' }] }],
    };
    const back = readModel(writeModel(model));
    expect(back).toEqual(readModel(writeModel(back)));
    expect(back.graph.initializer?.find((t) => t.name === 'ends')?.int64Data).toEqual(
      BigInt64Array.of(9223372036854775807n),
    );
    expect(back.graph.initializer?.find((t) => t.name === 'typed')?.int64Data).toEqual(
      BigInt64Array.of(-1n, 2n ** 62n),
    );
    expect(back.metadataProps).toEqual([{ key: 'author', value: 'qaf' }]);
    expect(back.functions?.[0].node?.[0].opType).toBe('Relu');
    expect(back.graph.quantizationAnnotation?.[0].quantParameterTensorNames?.[0].value).toBe('s');
    expect(back.graph.output?.[0].type?.tensorType?.shape?.dim).toEqual([{}, { dimValue: 4 }]);
  });

  it('keeps attribute ints at the int64 limits (Slice ends = INT64_MAX)', () => {
    const node = makeNode('Slice', ['x'], ['y'], {
      starts: [0],
      ends: [2 ** 63], // INT64_MAX as exporters write it; the writer clamps to 2^63 - 1
      axes: [0],
    });
    const graph = makeGraph({
      nodes: [node],
      inputs: [makeValueInfo('x', 1, [4])],
      outputs: [makeValueInfo('y', 1, [4])],
    });
    const bytes = writeModel(makeModel(graph, { opset: 9 }));
    const again = writeModel(readModel(bytes));
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    expect(
      readModel(bytes).graph.node?.[0].attribute?.find((a) => a.name === 'ends')?.ints,
    ).toEqual([2 ** 63]);
  });
});

describe('writeModel', () => {
  it('gives a small model its own buffer (protobufjs pools messages under 4 KiB)', () => {
    const graph = makeGraph({
      nodes: [makeNode('Relu', ['x'], ['y'])],
      inputs: [makeValueInfo('x', DataType.FLOAT, [1])],
      outputs: [makeValueInfo('y', DataType.FLOAT, [1])],
    });
    const a = writeModel(makeModel(graph, { opset: 13 }));
    const b = writeModel(makeModel(graph, { opset: 13 }));
    for (const bytes of [a, b]) {
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
    }
    expect(a.buffer).not.toBe(b.buffer);
  });
});
