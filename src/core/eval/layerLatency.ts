// The latency table of src/core/cost/latencyTable.ts, measured: each layer alone, in each form it
// can take (float, keep, quantize-only, factorized at each rank), as a one-layer model at the
// model's shapes, timed in onnxruntime with the forms of a layer interleaved; and the whole
// original model, so that the rest of the graph is known. Weight values do not change the time,
// so the weights are seeded noise; the graphs are the rewrite's (src/core/rewrite/layerRewrite.ts)
// with Gemm written as MatMul + Add (same kernels' cost within noise at these sizes).
import {
  LATENCY_FORMAT,
  LATENCY_VERSION,
  type LatencyKey,
  type LatencyTable,
} from '../cost/latencyTable.ts';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../onnx/builders.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import { writeModel } from '../onnx/reader.ts';
import { DataType, type NodeProto, type TensorProto } from '../onnx/types.ts';
import { applyWeightForm, type WeightForm } from '../rewrite/weightForm.ts';
import { measureLatency } from './latency.ts';
import { activeThreads, createSession, runtimeName } from './session.ts';

export interface LayerLatencyRequest {
  layer: LayerInfo;
  /** CP ranks to time (the factorized options' ranks); 'float', 'keep', 'quantize' always. */
  ranks: readonly number[];
}

export interface LatencyTableOptions {
  batch?: number;
  runs?: number;
  warmupRuns?: number;
  /** How weights are dequantized in the written model (default 'load'). */
  weightForm?: WeightForm;
  /** Bits of 'keep' layers (the pipeline's other weights; 32 = float). Default 8. */
  otherWeightBits?: number;
  modelSha256?: string;
  /** The clock in ms (default wall time; see LatencyOptions.clock). */
  clock?: () => number;
  /** Said in the table (e.g. 'cpu' or 'wall'). */
  clockName?: string;
  signal?: AbortSignal;
  /** Called after each layer with layers done and total. */
  onLayer?: (done: number, total: number) => void;
}

class Weights {
  private seed = 1;
  private n = 0;
  readonly tensors: TensorProto[] = [];
  readonly nodes: NodeProto[] = [];
  private noise(count: number, scale: number): number[] {
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      this.seed = (this.seed * 1103515245 + 12345) >>> 0;
      out[i] = (this.seed / 2 ** 32 - 0.5) * scale;
    }
    return out;
  }
  /** A weight as the rewrite writes it: float32, or codes through DequantizeLinear. */
  weight(dims: number[], bits: number): string {
    const name = `w${this.n++}`;
    const count = dims.reduce((a, b) => a * b, 1);
    if (bits >= 32) {
      this.tensors.push(makeTensor(name, DataType.FLOAT, dims, this.noise(count, 0.2)));
      return name;
    }
    const half = 2 ** (bits - 1) - 1;
    const codes = this.noise(count, 2 * half).map(Math.round);
    this.tensors.push(
      makeTensor(`${name}_q`, bits <= 4 ? DataType.INT4 : DataType.INT8, dims, codes),
    );
    this.tensors.push(makeTensor(`${name}_s`, DataType.FLOAT, [], [0.01]));
    this.nodes.push(makeNode('DequantizeLinear', [`${name}_q`, `${name}_s`], [name]));
    return name;
  }
  bias(count: number): string {
    const name = `b${this.n++}`;
    this.tensors.push(makeTensor(name, DataType.FLOAT, [count], this.noise(count, 0.1)));
    return name;
  }
}

function convAttrs(layer: LayerInfo, kernel: number[], group = 1) {
  return {
    kernel_shape: kernel,
    strides: layer.strides,
    pads: layer.pads,
    dilations: layer.dilations,
    ...(group > 1 && { group }),
  };
}

/** The layer's nodes in one form, reading 'x' and writing 'y'. */
function layerNodes(layer: LayerInfo, key: LatencyKey, w: Weights, otherBits: number): NodeProto[] {
  const [cout, cin] = layer.weightShape;
  const bits = key === 'float' ? 32 : key === 'keep' ? otherBits : 4;
  const rank = key.startsWith('rank:') ? Number(key.slice(5)) : 0;
  if (layer.op === 'Conv') {
    const kernel = layer.kernel;
    const ones = kernel.map(() => 1);
    if (!rank) {
      const weight = w.weight(layer.weightShape, bits);
      return [
        makeNode('Conv', ['x', weight, w.bias(cout)], ['y'], convAttrs(layer, kernel, layer.group)),
      ];
    }
    const spatial = kernel.some((k) => k > 1);
    const noSpatial = { kernel_shape: ones };
    const first = w.weight([rank, cin, ...ones], bits);
    const last = w.weight([cout, rank, ...ones], bits);
    if (!spatial) {
      return [
        makeNode('Conv', ['x', first], ['t1'], convAttrs(layer, ones)),
        makeNode('Conv', ['t1', last, w.bias(cout)], ['y'], noSpatial),
      ];
    }
    const dw = w.weight([rank, 1, ...kernel], bits);
    return [
      makeNode('Conv', ['x', first], ['t1'], noSpatial),
      makeNode('Conv', ['t1', dw], ['t2'], convAttrs(layer, kernel, rank)),
      makeNode('Conv', ['t2', last, w.bias(cout)], ['y'], noSpatial),
    ];
  }
  // Gemm/MatMul as MatMul [in, out] (+ bias): the stored orientation does not change the cost.
  const [rows, cols] = layer.weightShape;
  const transB = layer.op === 'Gemm' && layer.outputShape?.at(-1) === rows;
  const [nin, nout] = transB ? [cols, rows] : [rows, cols];
  if (!rank) {
    return [
      makeNode('MatMul', ['x', w.weight([nin, nout], bits)], ['t1']),
      makeNode('Add', ['t1', w.bias(nout)], ['y']),
    ];
  }
  return [
    makeNode('MatMul', ['x', w.weight([nin, rank], bits)], ['t1']),
    makeNode('MatMul', ['t1', w.weight([rank, nout], bits)], ['t2']),
    makeNode('Add', ['t2', w.bias(nout)], ['y']),
  ];
}

const fixedShape = (shape: readonly (number | string)[] | undefined, batch: number) =>
  (shape ?? []).map((d, i) => (i === 0 ? batch : typeof d === 'number' ? d : 1));

/** A one-layer model of `layer` in form `key` at `batch`, weights as `weightForm` writes them. */
export function singleLayerModel(
  layer: LayerInfo,
  key: LatencyKey,
  options: { batch: number; weightForm: WeightForm; otherWeightBits: number },
): Uint8Array {
  if (!layer.inputShape || !layer.outputShape) {
    throw new RangeError(`layer ${layer.name}: its input and output shapes are not known`);
  }
  const w = new Weights();
  const compute = layerNodes(layer, key, w, options.otherWeightBits);
  const graph = makeGraph({
    name: 'layer',
    nodes: [...w.nodes, ...compute],
    inputs: [makeValueInfo('x', DataType.FLOAT, fixedShape(layer.inputShape, options.batch))],
    outputs: [makeValueInfo('y', DataType.FLOAT, fixedShape(layer.outputShape, options.batch))],
    initializers: w.tensors,
  });
  return writeModel(applyWeightForm(makeModel(graph, { opset: 21 }), options.weightForm).model);
}

/** y = x (a copy): the cost of one call at the layer's input size, no layer. */
function callOverheadModel(layer: LayerInfo, batch: number): Uint8Array {
  const shape = fixedShape(layer.inputShape, batch);
  const graph = makeGraph({
    name: 'call',
    nodes: [makeNode('Identity', ['x'], ['y'])],
    inputs: [makeValueInfo('x', DataType.FLOAT, shape)],
    outputs: [makeValueInfo('y', DataType.FLOAT, shape)],
  });
  return writeModel(makeModel(graph, { opset: 21 }));
}

function sizeOf(shape: readonly number[]) {
  return shape.reduce((a, b) => a * b, 1);
}

/** Measures the latency table of `requests` (and the whole model `modelBytes`) in onnxruntime. */
export async function measureLatencyTable(
  modelBytes: Uint8Array,
  modelInputShape: readonly (number | string)[],
  requests: readonly LayerLatencyRequest[],
  options: LatencyTableOptions = {},
): Promise<LatencyTable> {
  const batch = options.batch ?? 1;
  const runs = options.runs ?? 30;
  const warmupRuns = options.warmupRuns ?? 5;
  const weightForm = options.weightForm ?? 'load';
  const otherWeightBits = options.otherWeightBits ?? 8;
  const timing = { runs, warmupRuns, signal: options.signal, clock: options.clock };
  const whole = await createSession(modelBytes);
  const dims = fixedShape(modelInputShape, batch);
  const [model] = await measureLatency(
    [whole],
    new Float32Array(sizeOf(dims)).fill(0.5),
    dims,
    timing,
  );
  await whole.release();
  const layers: LatencyTable['layers'] = [];
  let floatSum = 0;
  for (const [i, { layer, ranks }] of requests.entries()) {
    options.signal?.throwIfAborted();
    const keys: LatencyKey[] = [
      'float',
      'keep',
      'quantize',
      ...[...new Set(ranks.filter((r) => r > 0))].map((r) => `rank:${r}` as const),
    ];
    // The call itself (feeding the input, reading the output) is timed alone and taken off:
    // the whole model pays it once, not once per layer.
    const sessions = [await createSession(callOverheadModel(layer, batch))];
    for (const key of keys) {
      const bytes = singleLayerModel(layer, key, { batch, weightForm, otherWeightBits });
      sessions.push(await createSession(bytes));
    }
    const x = fixedShape(layer.inputShape, batch);
    const stats = await measureLatency(sessions, new Float32Array(sizeOf(x)).fill(0.5), x, timing);
    for (const s of sessions) await s.release();
    const ms: LatencyTable['layers'][number]['ms'] = {};
    keys.forEach((k, j) => {
      ms[k] = Math.max(0, stats[j + 1].median - stats[0].median);
    });
    floatSum += ms.float ?? 0;
    layers.push({ name: layer.name, ms });
    options.onLayer?.(i + 1, requests.length);
  }
  return {
    format: LATENCY_FORMAT,
    version: LATENCY_VERSION,
    runtime: runtimeName,
    threads: activeThreads(),
    batch,
    weightForm,
    clock: options.clockName ?? (options.clock ? 'custom' : 'wall'),
    ...(options.modelSha256 && { modelSha256: options.modelSha256 }),
    modelMs: model.median,
    restMs: Math.max(0, model.median - floatSum),
    layers,
  };
}
