// A one-node MatMul ONNX model (C = A B, float32, fixed shapes), encoded by hand so the
// benchmark does not depend on the app's ONNX writer. Protobuf wire format: varint tags
// (field << 3 | wire type), type 0 = varint, type 2 = length-delimited.

function varint(v: number): number[] {
  const out: number[] = [];
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const int = (field: number, v: number) => [...varint(field << 3), ...varint(v)];
const bytes = (field: number, body: number[]) => [
  ...varint((field << 3) | 2),
  ...varint(body.length),
  ...body,
];
const str = (field: number, s: string) => bytes(field, [...new TextEncoder().encode(s)]);

// ValueInfoProto{name, type: TypeProto{tensor_type{elem_type FLOAT, shape{dim{dim_value}}}}}
function tensorInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, int(1, d)));
  return [...str(1, name), ...bytes(2, bytes(1, [...int(1, 1), ...bytes(2, shape)]))];
}

/** ModelProto bytes for C[m,n] = A[m,k] B[k,n] (IR 8, opset 13). */
export function matMulModel(m: number, n: number, k: number): Uint8Array {
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'C'), ...str(4, 'MatMul')];
  const graph = [
    ...bytes(1, node),
    ...str(2, 'matmul'),
    ...bytes(11, tensorInfo('A', [m, k])),
    ...bytes(11, tensorInfo('B', [k, n])),
    ...bytes(12, tensorInfo('C', [m, n])),
  ];
  const model = [...int(1, 8), ...bytes(8, [...str(1, ''), ...int(2, 13)]), ...bytes(7, graph)];
  return new Uint8Array(model);
}
