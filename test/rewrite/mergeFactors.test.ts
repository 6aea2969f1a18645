// Factorized convs merged back into one conv whose weight is computed from the factors at load
// (rewrite/mergeFactors.ts, pipeline/latencyGuard.ts): the graph loses the CP chain, keeps the
// INT4 factors, and computes the same scores to float rounding. Which layers the guard merges
// depends on measured time, so the pipeline test asserts only that it ran and said so.
import { beforeAll, describe, expect, it } from 'vitest';
import { createSession, runScores } from '../../src/core/eval/session.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { checkWrittenModel } from '../../src/core/pipeline/check.ts';
import {
  compressModel,
  type OutputSettings,
  type PreparedModel,
  prepareModel,
} from '../../src/core/pipeline/index.ts';
import { mergeSlowerLayers } from '../../src/core/pipeline/latencyGuard.ts';
import { mergeFactorizedConvs } from '../../src/core/rewrite/mergeFactors.ts';
import { withWeightForm } from '../../src/core/rewrite/weightForm.ts';
import { randomBatches, residualModelBytes, SIDE } from '../allocate/fixtures.ts';

let prepared: PreparedModel;
let atLoad: Uint8Array;
const allocation = {
  settings: { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0 },
  selection: {},
} as const;

beforeAll(async () => {
  prepared = await prepareModel(residualModelBytes());
  const kernels = await loadKernels();
  const built = await compressModel({
    prepared,
    kernels,
    allocation,
    calibration: null,
    check: false,
  });
  atLoad = withWeightForm(built.bytes, 'load').bytes;
});

async function scores(bytes: Uint8Array): Promise<Float32Array> {
  const session = await createSession(bytes);
  const x = Float32Array.from({ length: 2 * 3 * SIDE * SIDE }, (_, i) => Math.cos(i));
  const { scores } = await runScores(session, x, [2, 3, SIDE, SIDE]);
  await session.release();
  return scores;
}

/** The fixture compressed with 8-bit activations (ranges from random images), uncalibrated. */
async function withEightBitActivations(output: OutputSettings) {
  return compressModel({
    prepared,
    kernels: await loadKernels(),
    allocation,
    calibration: { batches: randomBatches(16, 8), calibrate: false },
    check: false,
    output: { ...output, actBits: 8 },
  });
}

const convs = (bytes: Uint8Array) =>
  readModel(bytes).graph.node?.filter((n) => n.opType === 'Conv').length ?? 0;

describe('merging factorized convs back', () => {
  it('one conv replaces the chain, the INT4 factors stay, the scores agree', async () => {
    const out = prepared.model.graph.node?.find((n) => n.name === 'conv1')?.output?.[0] ?? '';
    const { model, merged, notFound } = mergeFactorizedConvs(readModel(atLoad), [out, 'nothing']);
    expect(merged).toEqual([out]);
    expect(notFound).toEqual(['nothing']);
    const bytes = writeModel(model);
    expect(convs(bytes)).toBe(convs(atLoad) - 2);
    expect(readModel(bytes).graph.initializer?.map((t) => t.dataType)).toContain(DataType.INT4);
    const [a, b] = [await scores(atLoad), await scores(bytes)];
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 4);
  });

  it('8-bit activations: the Q/DQ pairs inside the chain go with it, the scores stay close', async () => {
    const built = await withEightBitActivations({ weightForm: 'load' });
    const out = prepared.model.graph.node?.find((n) => n.name === 'conv1')?.output?.[0] ?? '';
    const { model, merged } = mergeFactorizedConvs(readModel(built.bytes), [out]);
    expect(merged).toEqual([out]);
    const bytes = writeModel(model);
    const count = (b: Uint8Array, op: string) =>
      readModel(b).graph.node?.filter((n) => n.opType === op).length ?? 0;
    expect(convs(bytes)).toBe(convs(built.bytes) - 2);
    // The two activations inside conv1's chain are gone; its input is still quantized.
    expect(count(bytes, 'QuantizeLinear')).toBe(count(built.bytes, 'QuantizeLinear') - 2);
    const [a, b] = [await scores(built.bytes), await scores(bytes)];
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < a.length; i++) {
      diff += (a[i] - b[i]) ** 2;
      norm += a[i] ** 2;
    }
    expect(Math.sqrt(diff / norm)).toBeLessThan(0.05);
  });

  it('8-bit activations: merged layers fold their factors at load, and the file passes the check', async () => {
    const built = await withEightBitActivations({});
    const slower = ['conv1', 'conv2'].map((name) => ({ name, factorizedMs: 2, originalMs: 1 }));
    const { bytes, note } = mergeSlowerLayers(prepared, built.bytes, slower, 2, 1, 8);
    expect(note).toMatch(/2 of 2 factorized convs were slower alone .* with 8-bit activations/);
    const model = readModel(bytes);
    const producer = new Map(model.graph.node?.flatMap((n) => n.output?.map((o) => [o, n]) ?? []));
    // The merged weights are computed from Cast + Mul of the codes, which onnxruntime folds at
    // load: a DequantizeLinear there would run on every call.
    const mergedReads = model.graph.node
      ?.filter((n) => n.name?.includes('_merged_'))
      .flatMap((n) => n.input ?? []);
    expect(mergedReads?.length).toBeGreaterThan(0);
    for (const input of mergedReads ?? [])
      expect(producer.get(input)?.opType).not.toBe('DequantizeLinear');
    // Every conv still reads a quantized input.
    for (const conv of model.graph.node?.filter((n) => n.opType === 'Conv') ?? []) {
      expect(producer.get(conv.input?.[0] ?? '')?.opType).toBe('DequantizeLinear');
    }
    const check = await checkWrittenModel(
      prepared.model,
      prepared.bytes,
      bytes,
      randomBatches(8, 8, 5),
    );
    expect(check.verdict.ok).toBe(true);
  });

  it('with 8-bit activations the pipeline runs the guard and checks the file it wrote', async () => {
    const built = await compressModel({
      prepared,
      kernels: await loadKernels(),
      allocation,
      calibration: { batches: randomBatches(16, 8), calibrate: false },
      checkPeer: false,
      output: { actBits: 8, latencyGuard: { runs: 2 } },
    });
    expect(built.check?.verdict.ok).toBe(true);
    const notes = built.report.notes.join(' ');
    expect(notes).toMatch(/latency guard: .*with 8-bit activations/);
    expect(notes).not.toMatch(/not applied/);
    // The written model keeps its 8-bit activations.
    expect(readModel(built.bytes).graph.node?.map((n) => n.opType)).toContain('QuantizeLinear');
  });

  it('says which layers it merged and why', () => {
    const slower = [{ name: 'conv2', factorizedMs: 3, originalMs: 2 }];
    const { bytes, note } = mergeSlowerLayers(prepared, atLoad, slower, 2, 1);
    expect(convs(bytes)).toBe(convs(atLoad) - 2);
    expect(note).toMatch(/1 of 2 factorized convs were slower alone .* \(conv2 1\.50x\)/);
    expect(mergeSlowerLayers(prepared, atLoad, [], 2, 1).note).toMatch(/none of the 2/);
    // Only 2-factor layers (1x1 convs, MatMuls): the note says why nothing was timed, not "0".
    const none = mergeSlowerLayers(prepared, atLoad, [], 0, 1).note;
    expect(none).toMatch(/nothing to time: no compressed layer is a chain of 3 factor convs/);
    expect(none).not.toMatch(/\b0\b/);
  });

  it('the pipeline runs the guard and checks the file it wrote', async () => {
    const built = await compressModel({
      prepared,
      kernels: await loadKernels(),
      allocation,
      calibration: null,
      checkPeer: false,
      output: { latencyGuard: { runs: 2 } },
    });
    expect(built.check).not.toBeNull();
    expect(built.report.notes.join(' ')).toMatch(/latency guard: /);
    expect(readModel(built.bytes).graph.node?.map((n) => n.opType)).not.toContain(
      'DequantizeLinear',
    );
  });
});
