// Optional 8-bit activation quantization: QuantizeLinear -> DequantizeLinear on every input of
// every weight node, so each Conv/Gemm/MatMul the cost model charges at 8-bit activations really
// reads 8-bit values. Two calibration passes in onnxruntime-web, each with the tensors added as
// graph outputs: layer inputs on the original graph carrying the compressed weights, before the
// rewrite; then the tensors inside factorized chains (1x1 -> depthwise -> 1x1, which only exist
// after the rewrite) on the rewritten graph, whose layer inputs are already quantized.
import * as ort from 'onnxruntime-web/wasm';
import { withGraphOutputs } from '../calibrate/graphEdit.ts';
import { createSession } from '../eval/session.ts';
import { writeModel } from '../onnx/reader.ts';
import { DataType, type NodeProto, type OnnxModel, type TensorProto } from '../onnx/types.ts';
import { GraphEditor } from './graphEdit.ts';
import { floatTensor } from './tensors.ts';
import { type ActCalibration, RewriteError, type RewriteLayer } from './types.ts';

export interface ActRange {
  min: number;
  max: number;
}

/** Values kept per tensor for a percentile (1 MB of float32). */
const SAMPLE_BUDGET = 1 << 18;

/** Distinct data inputs of the weight layers, in layer order. */
export function layerInputNames(model: OnnxModel, layers: readonly RewriteLayer[]): string[] {
  const names = layers.map((l) => model.graph.node?.[l.nodeIndex]?.input?.[0] ?? '');
  return [...new Set(names.filter((n) => n !== ''))];
}

/** Runs the model on the calibration batches and returns each tensor's calibrated range. */
export async function calibrateActivations(
  model: OnnxModel,
  tensorNames: readonly string[],
  calibration: ActCalibration,
): Promise<Map<string, ActRange>> {
  const probe = withGraphOutputs(model, tensorNames);
  const session = await createSession(writeModel(probe), { graphOptimizationLevel: 'disabled' });
  const method = calibration.method ?? 'minmax';
  const all = [...batches(calibration)];
  // Min-max keeps each batch's extremes; a percentile keeps a strided sample of every batch,
  // about SAMPLE_BUDGET values per tensor in all, so memory stays flat in a browser tab.
  const perBatch = Math.max(4096, Math.floor(SAMPLE_BUDGET / all.length));
  const keep = (x: Float32Array) => (method === 'minmax' ? extremes(x) : subsample(x, perBatch));
  try {
    const samples = new Map<string, Float32Array[]>(tensorNames.map((n) => [n, []]));
    for (const batch of all) {
      const feed = { [session.inputNames[0]]: new ort.Tensor('float32', batch.data, batch.dims) };
      const result = await session.run(feed, [...tensorNames]);
      for (const name of tensorNames) {
        samples.get(name)?.push(keep(result[name].data as Float32Array));
      }
      for (const t of Object.values(result)) t.dispose();
    }
    const p = calibration.percentile ?? 99.99;
    return new Map(tensorNames.map((n) => [n, rangeOf(samples.get(n) ?? [], method, p)]));
  } finally {
    await session.release();
  }
}

function* batches(c: ActCalibration): Generator<{ data: Float32Array; dims: number[] }> {
  const per = c.batchDims.slice(1).reduce((a, b) => a * b, 1);
  const count = Math.floor(c.inputs.length / per);
  if (count < 1) throw new RewriteError('activation calibration needs at least one input sample');
  for (let start = 0; start < count; start += c.batchDims[0]) {
    const n = Math.min(c.batchDims[0], count - start);
    yield {
      data: c.inputs.subarray(start * per, (start + n) * per),
      dims: [n, ...c.batchDims.slice(1)],
    };
  }
}

function extremes(x: Float32Array): Float32Array {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Float32Array.of(min, max);
}

function subsample(x: Float32Array, cap: number): Float32Array {
  if (x.length <= cap) return x.slice();
  const step = Math.ceil(x.length / cap);
  const out = new Float32Array(Math.ceil(x.length / step));
  for (let i = 0, j = 0; i < x.length; i += step, j++) out[j] = x[i];
  return out;
}

/** min/max, or the percentile p of the values and 100 - p (outliers clipped). */
export function rangeOf(
  parts: Float32Array[],
  method: 'minmax' | 'percentile',
  p: number,
): ActRange {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  if (method === 'minmax') {
    for (const part of parts) {
      for (const v of part) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    return { min, max };
  }
  const total = parts.reduce((s, x) => s + x.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  all.sort();
  const pick = (q: number) =>
    all[Math.min(total - 1, Math.max(0, Math.round((q / 100) * (total - 1))))];
  return { min: pick(100 - p), max: pick(p) };
}

export interface ActQuantParams {
  scale: number;
  zeroPoint: number;
  type: 'uint8' | 'int8';
}

/** uint8: asymmetric over [min(min, 0), max(max, 0)]; int8: symmetric over max |x|. */
export function actQuantParams(range: ActRange, type: 'uint8' | 'int8'): ActQuantParams {
  const lo = Math.min(range.min, 0);
  const hi = Math.max(range.max, 0);
  if (type === 'int8') {
    const m = Math.max(-lo, hi);
    return { scale: m > 0 ? m / 127 : 1, zeroPoint: 0, type };
  }
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint, type };
}

/**
 * Inserts Q/DQ for each calibrated tensor before its first weight-layer consumer and points
 * those consumers at the dequantized copy. Call before the layers are rewritten: the rewritten
 * nodes inherit the new input name.
 */
export function insertActivationQdq(
  ed: GraphEditor,
  layers: readonly RewriteLayer[],
  params: ReadonlyMap<string, ActQuantParams>,
): void {
  const inserted = new Map<string, string>();
  const ordered = [...layers].sort((a, b) => a.nodeIndex - b.nodeIndex);
  for (const layer of ordered) {
    const node = ed.nodes[layer.nodeIndex];
    const x = node.input?.[0] ?? '';
    const q = params.get(x);
    if (!q) continue;
    let dq = inserted.get(x);
    if (!dq) {
      const made = qdqNodes(ed, x, q);
      ed.insertBefore(layer.nodeIndex, made.nodes);
      dq = made.output;
      inserted.set(x, dq);
    }
    node.input = [dq, ...(node.input ?? []).slice(1)];
  }
}

/**
 * Q/DQ on the tensors between the factors of the factorized layers of a rewritten, committed
 * model. Their ranges come from that model itself (they exist nowhere else), run with its layer
 * inputs already quantized, so each range is the one the deployed model sees.
 */
export async function quantizeChainTensors(
  model: OnnxModel,
  chainTensorNames: readonly string[],
  calibration: ActCalibration,
): Promise<OnnxModel> {
  const ranges = await calibrateActivations(model, chainTensorNames, calibration);
  const type = calibration.type ?? 'uint8';
  const params = new Map([...ranges].map(([name, r]) => [name, actQuantParams(r, type)]));
  const ed = new GraphEditor(model);
  insertQdqBeforeConsumers(ed, params);
  return ed.commit();
}

/**
 * Inserts Q/DQ for each tensor in `params` before its first consumer and points every consumer
 * at the dequantized copy: for the tensors inside factorized chains, which only the next factor
 * reads. Works on a committed graph (node indices of ed.nodes).
 */
export function insertQdqBeforeConsumers(
  ed: GraphEditor,
  params: ReadonlyMap<string, ActQuantParams>,
): void {
  const inserted = new Map<string, string>();
  ed.nodes.forEach((node, i) => {
    const input = node.input ?? [];
    if (!input.some((x) => params.has(x))) return;
    node.input = input.map((x) => {
      const q = params.get(x);
      if (!q) return x;
      let dq = inserted.get(x);
      if (!dq) {
        const made = qdqNodes(ed, x, q);
        ed.insertBefore(i, made.nodes);
        dq = made.output;
        inserted.set(x, dq);
      }
      return dq;
    });
  });
  const missing = [...params.keys()].filter((x) => !inserted.has(x));
  if (missing.length) throw new RewriteError(`no node reads the activation ${missing[0]}`);
}

function qdqNodes(ed: GraphEditor, x: string, q: ActQuantParams) {
  const scale = ed.addInitializer(
    floatTensor(ed.unique(`${x}_act_scale`), [], new Float32Array([q.scale])),
  );
  const zp = ed.addInitializer(zeroPoint(ed.unique(`${x}_act_zero_point`), q));
  const quantized = ed.unique(`${x}_act_q`);
  const output = ed.unique(`${x}_act_dq`);
  const nodes: NodeProto[] = [
    {
      name: ed.unique(`${x}_QuantizeLinear`),
      opType: 'QuantizeLinear',
      input: [x, scale, zp],
      output: [quantized],
    },
    {
      name: ed.unique(`${x}_DequantizeLinear`),
      opType: 'DequantizeLinear',
      input: [quantized, scale, zp],
      output: [output],
    },
  ];
  return { nodes, output };
}

function zeroPoint(name: string, q: ActQuantParams): TensorProto {
  const dataType = q.type === 'uint8' ? DataType.UINT8 : DataType.INT8;
  const raw =
    q.type === 'uint8'
      ? Uint8Array.of(q.zeroPoint)
      : new Uint8Array(Int8Array.of(q.zeroPoint).buffer);
  return { name, dims: [], dataType, rawData: raw };
}
