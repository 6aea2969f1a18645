// Shape inference fallback: run the model once in onnxruntime-web with every value static
// inference could not decide exposed as an extra graph output, and read the shapes back.
// onnxruntime-web is imported lazily so the static path stays dependency-free.
import { makeValueInfo } from './builders.ts';
import { writeModel } from './reader.ts';
import { type Dim, isStatic } from './shapes/dims.ts';
import { type InferredShapes, inferShapes, valueInfoShape } from './shapes/inferShapes.ts';
import { DataType, type OnnxModel, type ValueInfoProto } from './types.ts';

type OrtTensorType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int64'
  | 'int32'
  | 'int8'
  | 'uint8'
  | 'bool';

const ORT_TYPES: Record<number, OrtTensorType> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.FLOAT16]: 'float16',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.BOOL]: 'bool',
};

const FROM_ORT: Record<string, number> = Object.fromEntries(
  Object.entries(ORT_TYPES).map(([k, v]) => [v, Number(k)]),
);

/** Values the runtime must measure: outputs with no shape or an unknown dim. */
function undecided(model: OnnxModel, inferred: InferredShapes): string[] {
  const names = (model.graph.node ?? []).flatMap((n) => n.output ?? []).filter(Boolean);
  return names.filter((n) => {
    const s = inferred.shapes.get(n);
    return !s || s.some((d) => d === '?');
  });
}

/** Example data without zeros, so no division by zero or empty selection changes a shape. */
function exampleData(type: OrtTensorType, count: number) {
  if (type === 'int64') return new BigInt64Array(count).fill(1n);
  if (type === 'bool') return new Uint8Array(count).fill(1);
  if (type === 'float16') return new Uint16Array(count).fill(0x3c00);
  if (type === 'float32')
    return Float32Array.from({ length: count }, (_, i) => 0.5 + (i % 7) * 0.1);
  if (type === 'float64')
    return Float64Array.from({ length: count }, (_, i) => 0.5 + (i % 7) * 0.1);
  const ints = { int32: Int32Array, int8: Int8Array, uint8: Uint8Array }[type];
  return new ints(count).fill(1);
}

function concreteShape(info: ValueInfoProto, given: readonly Dim[] | undefined): number[] {
  const shape = given ?? valueInfoShape(info);
  if (!shape) throw new Error(`input "${info.name}" has no declared shape: pass it in inputShapes`);
  // Symbolic dims not given explicitly (typically the batch) run as 1.
  return shape.map((d) => (typeof d === 'number' ? d : 1));
}

/**
 * Static inference, then one onnxruntime-web run for whatever it left undecided.
 * `inputShapes` fixes graph input shapes; symbolic input dims not given run as 1.
 */
export async function inferShapesWithRuntime(
  model: OnnxModel,
  inputShapes: Record<string, readonly Dim[]> = {},
): Promise<InferredShapes> {
  const inferred = inferShapes(model, { inputShapes });
  const fetch = undecided(model, inferred);
  if (fetch.length === 0) return inferred;

  // The CPU-only entry: the app serves only its wasm (the default entry would fetch the WebGPU build).
  const ort = await import('onnxruntime-web/wasm');
  // Node: one thread unless a shell chose more (the CLI's --threads, eval/session.ts).
  const set = ort.env.wasm.numThreads;
  if (typeof process !== 'undefined' && process.versions?.node && !(set !== undefined && set >= 1))
    ort.env.wasm.numThreads = 1;
  const existing = new Set((model.graph.output ?? []).map((o) => o.name));
  const extra = fetch
    .filter((n) => !existing.has(n))
    .map((n) => {
      const type = inferred.elemTypes.get(n);
      return type === undefined ? { name: n } : makeValueInfo(n, type);
    });
  const probe: OnnxModel = {
    ...model,
    graph: { ...model.graph, output: [...(model.graph.output ?? []), ...extra] },
  };
  const initNames = new Set((model.graph.initializer ?? []).map((t) => t.name));
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const info of model.graph.input ?? []) {
    if (initNames.has(info.name)) continue;
    const type = ORT_TYPES[info.type?.tensorType?.elemType ?? 0];
    if (!type)
      throw new Error(`input "${info.name}": element type not supported by the runtime probe`);
    const dims = concreteShape(info, inputShapes[info.name ?? '']);
    const count = dims.reduce((a, b) => a * b, 1);
    feeds[info.name ?? ''] = new ort.Tensor(type, exampleData(type, count), dims);
  }
  // A failing probe is reported by the caller in one line; onnxruntime's own error log would
  // only repeat it on stderr (fatal-only logging).
  const session = await ort.InferenceSession.create(writeModel(probe), { logSeverityLevel: 4 });
  try {
    const results = await session.run(feeds, fetch, { logSeverityLevel: 4 });
    for (const name of fetch) {
      const t = results[name];
      if (!t) continue;
      inferred.shapes.set(name, [...t.dims]);
      if (FROM_ORT[t.type] !== undefined) inferred.elemTypes.set(name, FROM_ORT[t.type]);
    }
  } finally {
    await session.release();
  }
  inferred.unresolved = inferred.unresolved.filter((u) =>
    (model.graph.node?.[u.nodeIndex].output ?? []).some(
      (o) => o && !isStatic(inferred.shapes.get(o) ?? ['?']),
    ),
  );
  return inferred;
}
