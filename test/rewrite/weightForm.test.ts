// Weight forms of a written model (rewrite/weightForm.ts, issue #14 item 4): 'load' writes each
// constant DequantizeLinear as Cast + Mul (onnxruntime folds it when the session is created),
// 'float' writes float32 weights. Both must compute exactly what the written model computes,
// keep the codes ('load') or drop them ('float'), and leave activation-quantized models alone.
import { beforeAll, describe, expect, it } from 'vitest';
import { createSession, runScores } from '../../src/core/eval/session.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { compressModel, type PreparedModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { applyWeightForm, withWeightForm } from '../../src/core/rewrite/weightForm.ts';
import { randomBatches, residualModelBytes, SIDE } from '../allocate/fixtures.ts';

let prepared: PreparedModel;
let written: Uint8Array;
const allocation = {
  settings: { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0 },
  selection: {},
} as const;

beforeAll(async () => {
  prepared = await prepareModel(residualModelBytes());
  const kernels = await loadKernels();
  written = (
    await compressModel({ prepared, kernels, allocation, calibration: null, check: false })
  ).bytes;
});

async function scores(bytes: Uint8Array): Promise<Float32Array> {
  const session = await createSession(bytes);
  const x = Float32Array.from({ length: 4 * 3 * SIDE * SIDE }, (_, i) => Math.sin(i));
  const { scores } = await runScores(session, x, [4, 3, SIDE, SIDE]);
  await session.release();
  return scores;
}

const ops = (bytes: Uint8Array) => readModel(bytes).graph.node?.map((n) => n.opType) ?? [];

describe('weight forms', () => {
  it("'load' replaces every DequantizeLinear by Cast + Mul, keeps the INT4 codes and the outputs", async () => {
    const dq = ops(written).filter((o) => o === 'DequantizeLinear').length;
    expect(dq).toBeGreaterThan(0);
    const { bytes, changed } = withWeightForm(written, 'load');
    expect(changed).toBe(dq);
    expect(ops(bytes)).not.toContain('DequantizeLinear');
    expect(ops(bytes).filter((o) => o === 'Cast').length).toBe(dq);
    const types = readModel(bytes).graph.initializer?.map((t) => t.dataType);
    expect(types).toContain(DataType.INT4);
    // The codes stay; only node records are added (a few names per weight).
    expect(bytes.length - written.length).toBeLessThan(200 * dq);
    expect(await scores(bytes)).toEqual(await scores(written));
  });

  it("'float' writes float32 weights with the same outputs", async () => {
    const { bytes, changed } = withWeightForm(written, 'float');
    expect(changed).toBeGreaterThan(0);
    expect(ops(bytes)).not.toContain('DequantizeLinear');
    expect(ops(bytes)).not.toContain('Cast');
    const types = new Set(readModel(bytes).graph.initializer?.map((t) => t.dataType));
    expect(types.has(DataType.INT4)).toBe(false);
    expect(await scores(bytes)).toEqual(await scores(written));
  });

  it("'dequantize' and models with quantized activations are left as written", () => {
    expect(withWeightForm(written, 'dequantize').bytes).toBe(written);
    const model = readModel(written);
    model.graph.node?.unshift({ opType: 'QuantizeLinear', input: ['x', 's'], output: ['xq'] });
    expect(applyWeightForm(model, 'load').changed).toBe(0);
  });

  it('the pipeline writes the form it is asked for, and checks that file', async () => {
    const kernels = await loadKernels();
    const built = await compressModel({
      prepared,
      kernels,
      allocation,
      calibration: { batches: randomBatches(8, 4) },
      output: { weightForm: 'load' },
      checkPeer: false,
    });
    expect(ops(built.bytes)).not.toContain('DequantizeLinear');
    expect(built.check).not.toBeNull();
    expect(built.report.notes.join(' ')).toMatch(/dequantized once at load/);
  });
});
