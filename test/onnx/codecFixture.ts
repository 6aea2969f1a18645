// A model that touches every kind of field the ONNX codec handles: packed and unpacked scalars,
// int64 extremes, closed enums, oneofs, nested graphs, bytes, sparse tensors, functions.
import type { ModelProto } from '../../src/core/onnx/index.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

export function richModel(): ModelProto {
  const weights = {
    name: 'w',
    dims: [2, 3],
    dataType: 1,
    floatData: [0.5, -1.25, 3e38, -0, 1e-45, Number.NaN],
    docString: 'float_data, packed',
  };
  const int64s = {
    name: 'i64',
    dims: [4],
    dataType: 7,
    int64Data: BigInt64Array.from([0n, -1n, 9223372036854775807n, -9223372036854775808n]),
  };
  const uint64s = {
    name: 'u64',
    dims: [2],
    dataType: 13,
    uint64Data: BigUint64Array.from([0n, 18446744073709551615n]),
  };
  const doubles = { name: 'd', dims: [2], dataType: 11, doubleData: [Math.PI, -1e300] };
  const strings = { name: 's', dims: [2], dataType: 8, stringData: [utf8('a'), utf8('ü')] };
  const raw = { name: 'raw', dims: [3], dataType: 2, rawData: Uint8Array.from([1, 2, 255]) };
  const external = {
    name: 'ext',
    dataType: 1,
    dims: [1],
    dataLocation: 1,
    externalData: [{ key: 'location', value: 'weights.bin' }],
  };
  const subgraph = {
    name: 'body',
    node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
    input: [{ name: 'x' }],
    output: [{ name: 'y' }],
  };
  return {
    irVersion: 10,
    producerName: 'codec test',
    producerVersion: '1',
    domain: 'test',
    modelVersion: 3,
    docString: 'every field kind',
    opsetImport: [
      { domain: '', version: 21 },
      { domain: 'com.example', version: 1 },
    ],
    metadataProps: [{ key: 'k', value: 'v' }],
    graph: {
      name: 'g',
      node: [
        {
          opType: 'Custom',
          domain: 'com.example',
          name: 'n0',
          input: ['w', 'i64', ''],
          output: ['out'],
          attribute: [
            { name: 'f', type: 1, f: 0.25 },
            { name: 'i', type: 2, i: -7 },
            { name: 'big', type: 2, i: 2 ** 40 },
            { name: 's', type: 3, s: utf8('text') },
            { name: 't', type: 4, t: raw },
            { name: 'g', type: 5, g: subgraph },
            { name: 'floats', type: 6, floats: [1, 2.5, -3] },
            { name: 'ints', type: 7, ints: [1, -2, 2 ** 33, 0] },
            { name: 'strings', type: 8, strings: [utf8('x'), utf8('')] },
            { name: 'tensors', type: 9, tensors: [doubles, strings] },
            { name: 'graphs', type: 10, graphs: [subgraph, subgraph] },
            { name: 'ref', refAttrName: 'outer', type: 2 },
            {
              name: 'tp',
              type: 13,
              tp: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } },
            },
          ],
          metadataProps: [{ key: 'note', value: 'node metadata' }],
        },
      ],
      initializer: [weights, int64s, uint64s, doubles, strings, raw, external],
      sparseInitializer: [
        {
          values: { name: 'sp', dims: [2], dataType: 1, floatData: [1, 2] },
          indices: {
            name: 'sp_idx',
            dims: [2],
            dataType: 7,
            int64Data: BigInt64Array.from([0n, 5n]),
          },
          dims: [10],
        },
      ],
      input: [
        {
          name: 'x',
          type: {
            tensorType: {
              elemType: 1,
              shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }, { dimValue: 0 }] },
            },
            denotation: 'IMAGE',
          },
        },
      ],
      output: [
        {
          name: 'out',
          type: { mapType: { keyType: 7, valueType: { optionalType: { elemType: {} } } } },
        },
      ],
      valueInfo: [{ name: 'v', type: { sparseTensorType: { elemType: 1 } }, docString: 'vi' }],
      quantizationAnnotation: [
        { tensorName: 'w', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 's' }] },
      ],
    },
    functions: [
      {
        name: 'F',
        domain: 'com.example',
        input: ['a'],
        output: ['b'],
        attribute: ['alpha'],
        node: [{ opType: 'Neg', input: ['a'], output: ['b'] }],
        opsetImport: [{ domain: '', version: 21 }],
      },
    ],
  } as ModelProto;
}
