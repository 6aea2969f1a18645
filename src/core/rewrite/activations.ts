// Optional 8-bit activation quantization: QuantizeLinear -> DequantizeLinear on every input of
// every weight node, so each Conv/Gemm/MatMul the cost model charges at 8-bit activations really
// reads 8-bit values. Ranges come from two runs of a range probe the caller supplies (the
// pipeline passes src/core/calibrate's onnxruntime one, so writing a model never runs one
// itself): layer inputs on the original graph carrying the compressed weights, before the
// rewrite; then the tensors inside factorized chains (1x1 -> depthwise -> 1x1, which only exist
// after the rewrite) on the rewritten graph, whose layer inputs are already quantized.
import { DataType, type NodeProto, type OnnxModel, type TensorProto } from '../onnx/types.ts';
import { GraphEditor } from './graphEdit.ts';
import { floatTensor } from './tensors.ts';
import {
  type ActivationRangeProbe,
  type ActRange,
  RewriteError,
  type RewriteLayer,
} from './types.ts';

export type { ActRange };

/** Distinct data inputs of the weight layers, in layer order. */
export function layerInputNames(model: OnnxModel, layers: readonly RewriteLayer[]): string[] {
  const names = layers.map((l) => model.graph.node?.[l.nodeIndex]?.input?.[0] ?? '');
  return [...new Set(names.filter((n) => n !== ''))];
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
  probe: ActivationRangeProbe,
  type: 'uint8' | 'int8',
): Promise<OnnxModel> {
  const ranges = await probe(model, chainTensorNames);
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
