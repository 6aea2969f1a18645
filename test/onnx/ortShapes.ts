// Test helper: the shape of every node output as onnxruntime-web computes it.
import * as ort from 'onnxruntime-web/wasm';
import { type OnnxModel, writeModel } from '../../src/core/onnx/index.ts';

ort.env.wasm.numThreads = 1;

export async function ortShapes(
  model: OnnxModel,
  feeds: Record<string, { dims: number[]; data?: Float32Array }>,
): Promise<Map<string, number[]>> {
  const outputs = (model.graph.node ?? []).flatMap((n) => n.output ?? []).filter(Boolean);
  const known = new Set((model.graph.output ?? []).map((o) => o.name));
  const extra = outputs.filter((o) => !known.has(o)).map((name) => ({ name }));
  const probe = {
    ...model,
    graph: { ...model.graph, output: [...(model.graph.output ?? []), ...extra] },
  };
  const session = await ort.InferenceSession.create(writeModel(probe));
  const tensors = Object.fromEntries(
    Object.entries(feeds).map(([name, f]) => {
      const count = f.dims.reduce((a, b) => a * b, 1);
      const data = f.data ?? Float32Array.from({ length: count }, (_, i) => Math.sin(i) + 1.5);
      return [name, new ort.Tensor('float32', data, f.dims)];
    }),
  );
  try {
    const results = await session.run(tensors, outputs);
    return new Map(outputs.map((o) => [o, [...results[o].dims]]));
  } finally {
    await session.release();
  }
}
