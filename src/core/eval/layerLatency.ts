// The latency table of src/core/cost/latencyTable.ts, measured: each layer alone, in each form it
// can take (float, keep, quantize-only, factorized at each rank), as a one-layer model at the
// model's shapes, timed in onnxruntime with the forms of a layer interleaved; and the whole
// original model, so that the rest of the graph is known. Weight values do not change the time,
// so the weights are seeded noise; the graphs are the rewrite's (src/core/rewrite/layerRewrite.ts)
// with Gemm written as MatMul + Add (same kernels' cost within noise at these sizes). With 8-bit
// activations every Conv/MatMul reads its data input through QuantizeLinear -> DequantizeLinear,
// the inner tensors of a factorized chain too (as rewrite/activations.ts writes them), and the
// weights stay DequantizeLinear nodes, so onnxruntime picks the kernels of the written model.
import {
  LATENCY_FORMAT,
  LATENCY_VERSION,
  type LatencyKey,
  type LatencyTable,
  latencyKey,
} from '../cost/latencyTable.ts';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../onnx/builders.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import { writeModel } from '../onnx/reader.ts';
import { DataType, type NodeProto, type TensorProto } from '../onnx/types.ts';
import { actQuantParams } from '../rewrite/activations.ts';
import { applyWeightForm, type WeightForm } from '../rewrite/weightForm.ts';
import { FLOAT_BITS } from '../util/units.ts';
import { measureLatency } from './latency.ts';
import { activeThreads, createSession, runtimeName } from './session.ts';

export interface LayerLatencyRequest {
  layer: LayerInfo;
  /** CP ranks to time (the factorized options' ranks); 'float', 'keep', 'quantize' always. */
  ranks: readonly number[];
  /**
   * Code widths of the quantized and factorized options (default [4]). Only 8-bit activations
   * tell them apart: 5-8 bits (INT8 codes) are then also timed, under the ':int8' keys.
   */
  bits?: readonly number[];
}

export interface LatencyTableOptions {
  batch?: number;
  runs?: number;
  warmupRuns?: number;
  /** How weights are dequantized in the written model (default 'load'). */
  weightForm?: WeightForm;
  /** Bits of 'keep' layers (the pipeline's other weights; 32 = float). Default 8. */
  otherWeightBits?: number;
  /**
   * Activation bits of the written model: 32 (default, float) or 8 (Q/DQ before every layer
   * input and inside factorized chains; the weight form is then 'dequantize' whatever is asked).
   */
  actBits?: number;
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
  constant(tensor: TensorProto): string {
    this.tensors.push(tensor);
    return tensor.name ?? '';
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
  const codeBits = key.endsWith(':int8') ? 8 : 4;
  const bits = key === 'float' ? FLOAT_BITS : key === 'keep' ? otherBits : codeBits;
  const rank = key.startsWith('rank:') ? Number.parseInt(key.slice(5), 10) : 0;
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

// One plausible range for every activation: the values do not change the kernels or their time.
const ACT_PARAMS = actQuantParams({ min: -4, max: 4 }, 'uint8');

/**
 * `nodes` with each Conv/MatMul reading its data input through QuantizeLinear ->
 * DequantizeLinear, per tensor, uint8 as the rewrite writes them (rewrite/activations.ts).
 */
function withQuantizedInputs(nodes: readonly NodeProto[], w: Weights): NodeProto[] {
  const scale = w.constant(makeTensor('act_s', DataType.FLOAT, [], [ACT_PARAMS.scale]));
  const zero = w.constant(makeTensor('act_zp', DataType.UINT8, [], [ACT_PARAMS.zeroPoint]));
  return nodes.flatMap((node) => {
    const [x, ...rest] = node.input ?? [];
    if (!['Conv', 'MatMul'].includes(node.opType ?? '') || !x) return [node];
    return [
      makeNode('QuantizeLinear', [x, scale, zero], [`${x}_q`]),
      makeNode('DequantizeLinear', [`${x}_q`, scale, zero], [`${x}_dq`]),
      { ...node, input: [`${x}_dq`, ...rest] },
    ];
  });
}

const fixedShape = (shape: readonly (number | string)[] | undefined, batch: number) =>
  (shape ?? []).map((d, i) => (i === 0 ? batch : typeof d === 'number' ? d : 1));

/** Activation bits a latency table can be timed at; a RangeError for any other. */
export function latencyActBits(actBits: number | undefined): number {
  const bits = actBits ?? FLOAT_BITS;
  if (bits !== FLOAT_BITS && bits !== 8) {
    throw new RangeError(`latency: activation bits must be 8 or 32 (float), got ${bits}`);
  }
  return bits;
}

/**
 * A one-layer model of `layer` in form `key` at `batch`, weights as `weightForm` writes them
 * (with 8-bit activations: as DequantizeLinear, the form the pipeline keeps for such models).
 */
export function singleLayerModel(
  layer: LayerInfo,
  key: LatencyKey,
  options: { batch: number; weightForm: WeightForm; otherWeightBits: number; actBits?: number },
): Uint8Array {
  if (!layer.inputShape || !layer.outputShape) {
    throw new RangeError(`layer ${layer.name}: its input and output shapes are not known`);
  }
  const actBits = latencyActBits(options.actBits);
  const w = new Weights();
  const layerOnly = layerNodes(layer, key, w, options.otherWeightBits);
  const compute = actBits < FLOAT_BITS ? withQuantizedInputs(layerOnly, w) : layerOnly;
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

/**
 * The forms a layer is timed in. Code widths differ only with 8-bit activations: each width's
 * 'quantize' and ranks, keyed as latencyKey keys them (INT4 plain, INT8 ':int8').
 */
function keysToTime(ranks: readonly number[], bits: readonly number[], actBits: number) {
  const widths = actBits < FLOAT_BITS ? bits : [4];
  const keys = new Set<LatencyKey>(['float', 'keep']);
  for (const b of widths.length ? widths : [4]) {
    keys.add(latencyKey({ rank: 0, bits: b }, actBits));
    for (const rank of ranks.filter((r) => r > 0)) keys.add(latencyKey({ rank, bits: b }, actBits));
  }
  return [...keys];
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
  const actBits = latencyActBits(options.actBits);
  // An activation-quantized model keeps its weight DequantizeLinear nodes (rewrite/weightForm.ts).
  const weightForm = actBits < FLOAT_BITS ? 'dequantize' : (options.weightForm ?? 'load');
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
  for (const [i, { layer, ranks, bits }] of requests.entries()) {
    options.signal?.throwIfAborted();
    const keys = keysToTime(ranks, bits ?? [4], actBits);
    // The call itself (feeding the input, reading the output) is timed alone and taken off:
    // the whole model pays it once, not once per layer.
    const sessions = [await createSession(callOverheadModel(layer, batch))];
    for (const key of keys) {
      const bytes = singleLayerModel(layer, key, { batch, weightForm, otherWeightBits, actBits });
      sessions.push(await createSession(bytes));
    }
    // The rest of the graph is the original model minus its layers as they run there: float
    // activations, so with 8-bit ones the float layer is timed once more without its Q/DQ.
    if (actBits < FLOAT_BITS) {
      const options = { batch, weightForm, otherWeightBits };
      sessions.push(await createSession(singleLayerModel(layer, 'float', options)));
    }
    const x = fixedShape(layer.inputShape, batch);
    const stats = await measureLatency(sessions, new Float32Array(sizeOf(x)).fill(0.5), x, timing);
    for (const s of sessions) await s.release();
    const net = (j: number) => Math.max(0, stats[j].median - stats[0].median);
    const ms: LatencyTable['layers'][number]['ms'] = {};
    keys.forEach((k, j) => {
      ms[k] = net(j + 1);
    });
    floatSum += actBits < FLOAT_BITS ? net(keys.length + 1) : (ms.float ?? 0);
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
    ...(actBits < FLOAT_BITS && { actBits }),
    clock: options.clockName ?? (options.clock ? 'custom' : 'wall'),
    ...(options.modelSha256 && { modelSha256: options.modelSha256 }),
    modelMs: model.median,
    restMs: Math.max(0, model.median - floatSum),
    layers,
  };
}
