// Fabricated grid factors, tiny models and an onnxruntime-web runner for the rewrite tests.
import * as ort from 'onnxruntime-web/wasm';
import { createSession } from '../../src/core/eval/session.ts';
import type { FactorResult, LayerResult } from '../../src/core/factor/types.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import type { OnnxModel } from '../../src/core/onnx/types.ts';
import { lcg } from '../support/random.ts';

/** A rows x cols factor on the symmetric b-bit grid (per-row scales when perRow). */
export function gridFactor(
  rows: number,
  cols: number,
  bits: number,
  seed: number,
  perRow = false,
): FactorResult {
  const rand = lcg(seed);
  const lo = -(2 ** (bits - 1));
  const span = 2 ** bits;
  const codes = Int8Array.from({ length: rows * cols }, () => lo + Math.floor(rand() * span));
  if (perRow) {
    const scales = Float32Array.from({ length: rows }, () => 0.02 + 0.1 * rand());
    const values = Float32Array.from(codes, (q, i) => q * scales[Math.floor(i / cols)]);
    return { rows, cols, codes, scales, values };
  }
  const scale = Math.fround(0.05 + 0.1 * rand());
  return { rows, cols, codes, scale, values: Float32Array.from(codes, (q) => q * scale) };
}

export function floatFactor(rows: number, cols: number, seed: number): FactorResult {
  const rand = lcg(seed);
  return { rows, cols, values: Float32Array.from({ length: rows * cols }, () => rand() - 0.5) };
}

export function layerResult(
  name: string,
  method: LayerResult['method'],
  shape: number[],
  rank: number,
  bits: number,
  factors: FactorResult[],
): LayerResult {
  return {
    name,
    method,
    rank,
    bits,
    shape,
    factors,
    floatCpError: Number.NaN,
    error: Number.NaN,
    iterations: 0,
    errorHistory: [],
    ms: 0,
  };
}

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length: n }, () => (rand() - 0.5) * 2 * scale);
}

/** Runs a model on one float32 input and returns its first output. */
export async function runModel(
  model: OnnxModel | Uint8Array,
  input: Float32Array,
  dims: number[],
): Promise<Float32Array> {
  const bytes = model instanceof Uint8Array ? model : writeModel(model);
  const session = await createSession(bytes);
  try {
    const out = await session.run({
      [session.inputNames[0]]: new ort.Tensor('float32', input, dims),
    });
    return Float32Array.from(out[session.outputNames[0]].data as Float32Array);
  } finally {
    await session.release();
  }
}

/** max |a - b| / max |b|: the relative deviation of a whole output. */
export function maxRelativeDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return diff / ref;
}

/**
 * Names of the weight nodes (Conv, Gemm, MatMul) whose data input does not come out of an
 * activation QuantizeLinear -> DequantizeLinear pair, or whose weight is not dequantized codes.
 */
export function nodesWithFloatInputs(model: OnnxModel): string[] {
  const nodes = model.graph.node ?? [];
  const producer = new Map(nodes.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
  const dequantized = (name: string, from: 'QuantizeLinear' | 'codes') => {
    const dq = producer.get(name);
    if (dq?.opType !== 'DequantizeLinear') return false;
    const src = producer.get(dq.input?.[0] ?? '');
    return from === 'codes' ? src === undefined : src?.opType === 'QuantizeLinear';
  };
  return nodes
    .filter((n) => ['Conv', 'Gemm', 'MatMul'].includes(n.opType ?? ''))
    .filter(
      (n) =>
        !dequantized(n.input?.[0] ?? '', 'QuantizeLinear') ||
        !dequantized(n.input?.[1] ?? '', 'codes'),
    )
    .map((n) => n.name ?? '');
}
