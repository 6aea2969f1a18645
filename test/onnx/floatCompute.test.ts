// float16 and double models (issue #17): computed in float32 by the normalisation, compressed,
// and written with the original's input and output element types, the file loaded and run in
// onnxruntime next to the original (a double original, which onnxruntime cannot run, through
// its float32 twin). bfloat16 layers are refused with the reason.
import * as ort from 'onnxruntime-web/wasm';
import { describe, expect, it } from 'vitest';
import { evaluateModel } from '../../src/core/eval/evaluate.ts';
import { createSession } from '../../src/core/eval/session.ts';
import { jsKernels } from '../../src/core/kernels/js.ts';
import { makeTensor } from '../../src/core/onnx/builders.ts';
import { float16ToNumber, numberToFloat16 } from '../../src/core/onnx/float16.ts';
import { widenedFloatType } from '../../src/core/onnx/floatCompute.ts';
import { normalizeModel } from '../../src/core/onnx/normalize.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { tensorToFloat32 } from '../../src/core/onnx/tensor.ts';
import { DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import { compressModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { generatedImages, tinyClassifierBytes } from '../support/generated.ts';

/** The tiny classifier with every tensor and its interface in `type`. */
function retyped(type: number): Uint8Array {
  const m = readModel(tinyClassifierBytes());
  m.graph.initializer = m.graph.initializer!.map((t) => {
    const values = tensorToFloat32(t);
    if (type !== DataType.BFLOAT16) {
      return makeTensor(t.name!, type, t.dims!.map(Number), Array.from(values));
    }
    const bits = new Uint32Array(values.buffer.slice(0));
    const raw = new Uint8Array(Uint16Array.from(bits, (b) => b >>> 16).buffer);
    return { name: t.name, dims: t.dims, dataType: type, rawData: raw };
  });
  for (const v of [...m.graph.input!, ...m.graph.output!]) v.type!.tensorType!.elemType = type;
  return writeModel(m);
}

const elemTypes = (m: OnnxModel) =>
  [...m.graph.input!, ...m.graph.output!].map((v) => v.type?.tensorType?.elemType);

async function compress(bytes: Uint8Array, method: 'ptq' | 'admm') {
  const prepared = await prepareModel(bytes);
  const settings =
    method === 'ptq'
      ? { method, bits: 8, perChannel: true }
      : { method, rate: 2, bits: 4, preset: 'default' as const };
  return compressModel({ prepared, kernels: jsKernels, allocation: { settings, selection: {} } });
}

describe('float16 and double models', () => {
  it('normalise to float32 compute (float16 exactly), saying so', () => {
    const half = readModel(retyped(DataType.FLOAT16));
    expect(widenedFloatType(half)).toBe(DataType.FLOAT16);
    const { model, notes } = normalizeModel(half);
    expect(notes[0]).toMatch(/^FLOAT16 model computed in float32 \(weights converted exactly/);
    expect(elemTypes(model)).toEqual([DataType.FLOAT, DataType.FLOAT]);
    const w = (m: OnnxModel) => m.graph.initializer!.find((t) => t.name === 'w2')!;
    expect(w(model).dataType).toBe(DataType.FLOAT);
    expect(Array.from(tensorToFloat32(w(model)))).toEqual(Array.from(tensorToFloat32(w(half))));
    // A second pass changes nothing.
    expect(normalizeModel(model).notes).toEqual([]);
  });

  it('a float16 model is compressed and written as float16, running next to the original', async () => {
    const original = retyped(DataType.FLOAT16);
    const out = await compress(original, 'admm');
    const written = readModel(out.bytes);
    expect(elemTypes(written)).toEqual([DataType.FLOAT16, DataType.FLOAT16]);
    expect(out.report.notes.at(-1)).toMatch(
      /FLOAT16 inputs and outputs as in the original .*next to the original \(8 generated inputs/,
    );
    // Run both on the same float16 images: the written file is a drop-in replacement.
    const x = Uint16Array.from({ length: 4 * 3 * 8 * 8 }, (_, i) =>
      numberToFloat16(Math.sin(i * 0.7)),
    );
    const feeds = { x: new ort.Tensor('float16', x, [4, 3, 8, 8]) };
    const run = async (bytes: Uint8Array) => {
      const session = await createSession(bytes);
      const y = (await session.run(feeds)).logits;
      await session.release();
      expect(y.type).toBe('float16');
      return Float32Array.from(y.data as Uint16Array, float16ToNumber);
    };
    const [a, b] = [await run(original), await run(out.bytes)];
    expect(b.every(Number.isFinite)).toBe(true);
    expect(b).toHaveLength(a.length);
  });

  it('a double model is written as double and checked through its float32 twin', async () => {
    const out = await compress(retyped(DataType.DOUBLE), 'ptq');
    expect(elemTypes(readModel(out.bytes))).toEqual([DataType.DOUBLE, DataType.DOUBLE]);
    expect(out.report.notes.at(-1)).toMatch(/next to its float32 twin \(onnxruntime cannot run/);
    const session = await createSession(out.bytes);
    const x = Float64Array.from({ length: 3 * 8 * 8 }, (_, i) => Math.cos(i));
    const y = (await session.run({ x: new ort.Tensor('float64', x, [1, 3, 8, 8]) })).logits;
    expect(y.type).toBe('float64');
    expect(Array.from(y.data as Float64Array).every(Number.isFinite)).toBe(true);
    await session.release();
  });

  it('bfloat16 layers are left as they are, with the reason', async () => {
    const prepared = await prepareModel(retyped(DataType.BFLOAT16)).catch((e: Error) => e);
    const reasons =
      prepared instanceof Error ? [prepared.message] : prepared.skipped.map((s) => s.reason);
    expect(reasons.join(' ')).toMatch(
      /BFLOAT16: not compressed \(onnxruntime.* cannot run bfloat16/,
    );
  });

  it('evaluate: a float16 model is fed float16 and scored like its float32 original', async () => {
    const { dataset } = generatedImages(32, { patternSeed: 3, noiseSeed: 4 });
    const labels = new Int32Array(32).map((_, i) => i % 4);
    const data = { ...dataset, labels };
    const half = await evaluateModel({
      modelBytes: retyped(DataType.FLOAT16),
      dataset: data,
      latencyRuns: 0,
    });
    const full = await evaluateModel({
      modelBytes: tinyClassifierBytes(),
      dataset: data,
      latencyRuns: 0,
    });
    expect(half.accuracy).not.toBeNull();
    expect(Math.abs(half.accuracy! - full.accuracy!)).toBeLessThanOrEqual(2 / 32);
  });
});
