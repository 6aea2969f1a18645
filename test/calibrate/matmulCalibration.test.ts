// Calibration after compression folds into factorized MatMul layers (issue #12, PP-OCR rec): a
// MatMul x[N, T, K] W[K, C] keeps its channels on the last axis, so its statistics are taken per
// last-axis channel, the gain goes to the last factor's scale (per axis 1 of W), and the shift to
// an Add after the MatMul. After calibration every compressed layer's per-channel mean and std
// match the original's on the calibration batch, from cached activations and from re-runs alike.
import { describe, expect, it } from 'vitest';
import { calibrateModel } from '../../src/core/calibrate/calibrateModel.ts';
import { CALIBRATION_ADD } from '../../src/core/calibrate/channelAxis.ts';
import { channelStd } from '../../src/core/calibrate/channelStats.ts';
import { type CalibrationBatch, collectOutputStats } from '../../src/core/calibrate/outputStats.ts';
import { jsKernels } from '../../src/core/kernels/js.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { withGraphOutputs } from '../../src/core/onnx/graphOutputs.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { compressModel, layerOutputs, prepareModel } from '../../src/core/pipeline/index.ts';
import { centeredLcg } from '../support/random.ts';

const F = DataType.FLOAT;
const [T, K, H, C] = [7, 48, 40, 32];

/** x [N, T, K] -> MatMul (K x H) -> Relu -> MatMul (H x C) + b -> y: a projection pair. */
function floatModel(): Uint8Array {
  const rand = centeredLcg(5);
  const values = (n: number, s: number) => Float32Array.from({ length: n }, () => s * rand());
  return writeModel(
    makeModel(
      makeGraph({
        nodes: [
          makeNode('MatMul', ['x', 'w1'], ['h'], {}, { name: 'proj_in' }),
          makeNode('Relu', ['h'], ['r']),
          makeNode('MatMul', ['r', 'w2'], ['y0'], {}, { name: 'proj_out' }),
          makeNode('Add', ['y0', 'b2'], ['y']),
        ],
        inputs: [makeValueInfo('x', F, ['batch', T, K])],
        outputs: [makeValueInfo('y', F, ['batch', T, C])],
        initializers: [
          makeTensor('w1', F, [K, H], values(K * H, 0.6)),
          makeTensor('w2', F, [H, C], values(H * C, 0.6)),
          makeTensor('b2', F, [C], values(C, 0.2)),
        ],
      }),
      { opset: 13 },
    ),
  );
}

function batch(n: number, seed: number): CalibrationBatch {
  const rand = centeredLcg(seed);
  // Inputs with a mean per feature, as activations have: a shift the calibration must track.
  const data = Float32Array.from({ length: n * T * K }, (_, i) => rand() + 0.3 * ((i % K) / K));
  return { data, dims: [n, T, K] };
}

async function stats(bytes: Uint8Array, names: string[], data: CalibrationBatch) {
  const model = withGraphOutputs(readModel(bytes), names);
  const widths = new Map(names.map((n) => [n, n === 'h' ? H : C]));
  return collectOutputStats(writeModel(model), names, [data], { channelLast: widths });
}

describe('calibration of factorized MatMul layers', () => {
  it('matches per-channel mean and std on the last axis, the shift in an Add', async () => {
    const prepared = await prepareModel(floatModel());
    expect(prepared.layers.map((l) => [l.name, l.op, l.factorizable])).toEqual([
      ['proj_in', 'MatMul', true],
      ['proj_out', 'MatMul', true],
    ]);
    const data = batch(16, 3);
    const out = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: { settings: { method: 'admm', rank: 3, bits: 4, preset: 'default', seed: 0 } },
      calibration: { batches: [data], calibrate: false },
      check: false,
    });
    const names = layerOutputs(prepared, ['proj_in', 'proj_out']);
    expect(names).toEqual(['h', 'y0']);
    const reference = await stats(prepared.bytes, names, data);
    const before = await stats(out.bytes, names, data);
    const gap = (s: typeof before) =>
      Math.max(
        ...names.flatMap((n) => {
          const [a, b] = [reference.get(n)!, s.get(n)!];
          const [sa, sb] = [channelStd(a), channelStd(b)];
          return Array.from(a.mean, (m, c) => Math.abs(m - b.mean[c]) + Math.abs(sa[c] - sb[c]));
        }),
      );
    expect(gap(before)).toBeGreaterThan(0.01);
    const runs = await Promise.all(
      (['sequential', 'rerun'] as const).map((strategy) =>
        calibrateModel({
          referenceBytes: prepared.bytes,
          compressedBytes: out.bytes,
          layerOutputs: names,
          batches: [data],
          strategy,
        }),
      ),
    );
    for (const run of runs) {
      expect(gap(await stats(run.bytes, names, data))).toBeLessThan(1e-3);
      // The shifts are Adds named for the calibration, each right after its MatMul.
      const nodes = run.model.graph.node ?? [];
      const adds = nodes.filter((n) => n.name?.endsWith(CALIBRATION_ADD));
      expect(adds.map((n) => n.output?.[0])).toEqual(['h', 'y0']);
      for (const add of adds) {
        const i = nodes.indexOf(add);
        expect(nodes[i - 1].opType).toBe('MatMul');
        expect(nodes[i - 1].output?.[0]).toBe(add.input?.[0]);
      }
    }
    // From cached activations and from re-runs: the same calibrated model, up to rounding.
    const [a, b] = await Promise.all(runs.map((r) => stats(r.bytes, ['y0'], data)));
    const ya = a.get('y0')!;
    const yb = b.get('y0')!;
    for (let c = 0; c < C; c++) expect(Math.abs(ya.mean[c] - yb.mean[c])).toBeLessThan(1e-4);
    // Through the pipeline: a calibration on few samples says it may overfit, on enough it does not.
    const notes = async (n: number) => {
      const run = await compressModel({
        prepared,
        kernels: jsKernels,
        results: out.results,
        calibration: { batches: [batch(n, 4)] },
        check: false,
      });
      expect(run.calibrated).toBe(true);
      return run.report.notes.join('\n');
    };
    expect(await notes(4)).toMatch(
      /only 4 calibration samples: per-channel corrections from fewer than 16/,
    );
    expect(await notes(16)).not.toMatch(/calibration samples?:/);
  }, 30_000);
});
