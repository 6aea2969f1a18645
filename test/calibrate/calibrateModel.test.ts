// A two-conv model whose compressed twin has known statistics errors (shrunken 4-bit codes,
// a wrong bias, a missing bias): calibration run through onnxruntime-web must match every
// compressed layer's per-channel output mean and variance to the original's, codes untouched.
import { describe, expect, it } from 'vitest';
import { calibrateModel } from '../../src/core/calibrate/calibrateModel.ts';
import { channelStd } from '../../src/core/calibrate/channelStats.ts';
import { findFoldSite } from '../../src/core/calibrate/graphEdit.ts';
import { makeCalibrationBatches } from '../../src/core/calibrate/index.ts';
import { type CalibrationBatch, collectOutputStats } from '../../src/core/calibrate/outputStats.ts';
import { floatValues } from '../../src/core/calibrate/tensorData.ts';
import type { Dataset } from '../../src/core/data/types.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { withGraphOutputs } from '../../src/core/onnx/graphOutputs.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType, type TensorProto } from '../../src/core/onnx/types.ts';
import { calibrateCompressedModel, prepareModel } from '../../src/core/pipeline/index.ts';
import type { CompressionReport } from '../../src/core/rewrite/types.ts';
import { centeredLcg } from '../support/random.ts';

const rand = centeredLcg(11);
const w1 = Float32Array.from({ length: 4 * 3 * 3 * 3 }, () => rand());
const b1 = Float32Array.from({ length: 4 }, () => rand());
const w2 = Float32Array.from({ length: 2 * 4 }, () => rand());
const b2 = Float32Array.from({ length: 2 }, () => rand());

function floatModel(): Uint8Array {
  return writeModel(
    makeModel(
      makeGraph({
        nodes: [
          makeNode('Conv', ['x', 'w1', 'b1'], ['y1'], { pads: [1, 1, 1, 1] }, { name: 'conv1' }),
          makeNode('Relu', ['y1'], ['r1']),
          makeNode('Conv', ['r1', 'w2', 'b2'], ['y2'], {}, { name: 'conv2' }),
        ],
        inputs: [makeValueInfo('x', DataType.FLOAT, ['batch', 3, 5, 5])],
        outputs: [makeValueInfo('y2', DataType.FLOAT, ['batch', 2, 5, 5])],
        initializers: [
          makeTensor('w1', DataType.FLOAT, [4, 3, 3, 3], w1),
          makeTensor('b1', DataType.FLOAT, [4], b1),
          makeTensor('w2', DataType.FLOAT, [2, 4, 1, 1], w2),
          makeTensor('b2', DataType.FLOAT, [2], b2),
        ],
      }),
      { opset: 21 },
    ),
  );
}

/** Codes of a distorted weight: per-row gains the calibration has to undo. */
function codesOf(w: Float32Array, rows: number, scale: number, bits: number): number[] {
  const inner = w.length / rows;
  const max = 2 ** (bits - 1) - 1;
  return Array.from(w, (v, i) => {
    const distortion = 0.4 + 0.2 * (Math.floor(i / inner) % 3);
    return Math.max(-max - 1, Math.min(max, Math.round((distortion * v) / scale)));
  });
}

function compressedModel(): Uint8Array {
  const q1 = codesOf(w1, 4, 0.08, 4);
  const q2 = codesOf(w2, 2, 0.01, 8);
  return writeModel(
    makeModel(
      makeGraph({
        nodes: [
          makeNode('DequantizeLinear', ['q1', 's1', 'z1'], ['w1dq']),
          makeNode('Conv', ['x', 'w1dq', 'b1'], ['y1'], { pads: [1, 1, 1, 1] }, { name: 'conv1' }),
          makeNode('Relu', ['y1'], ['r1']),
          makeNode('DequantizeLinear', ['q2', 's2'], ['w2dq']),
          makeNode('Conv', ['r1', 'w2dq'], ['y2'], {}, { name: 'conv2' }),
        ],
        inputs: [makeValueInfo('x', DataType.FLOAT, ['batch', 3, 5, 5])],
        outputs: [makeValueInfo('y2', DataType.FLOAT, ['batch', 2, 5, 5])],
        initializers: [
          makeTensor('q1', DataType.INT4, [4, 3, 3, 3], q1),
          makeTensor('s1', DataType.FLOAT, [], [0.08]),
          makeTensor('z1', DataType.INT4, [], [0]),
          makeTensor(
            'b1',
            DataType.FLOAT,
            [4],
            Array.from(b1, (b) => 0.5 * b + 0.3),
          ),
          makeTensor('q2', DataType.INT8, [2, 4, 1, 1], q2),
          makeTensor('s2', DataType.FLOAT, [], [0.01]),
        ],
      }),
      { opset: 21 },
    ),
  );
}

function batches(): CalibrationBatch[] {
  const r = centeredLcg(5);
  return [16, 16, 7].map((n) => ({
    data: Float32Array.from({ length: n * 3 * 25 }, () => 2 * r() + 0.3),
    dims: [n, 3, 5, 5],
  }));
}

async function statsOf(bytes: Uint8Array, data: CalibrationBatch[]) {
  const withOutputs = writeModel(withGraphOutputs(readModel(bytes), ['y1', 'y2']));
  return collectOutputStats(withOutputs, ['y1', 'y2'], data);
}

function initializer(bytes: Uint8Array, name: string): TensorProto {
  return readModel(bytes).graph.initializer!.find((t) => t.name === name)!;
}

describe('calibrateModel on a synthetic two-conv model (onnxruntime-web)', () => {
  for (const strategy of ['joint', 'sequential', 'rerun'] as const) {
    it(`matches per-channel mean and variance of every layer (${strategy})`, async () => {
      const data = batches();
      const reference = floatModel();
      const compressed = compressedModel();
      const result = await calibrateModel({
        referenceBytes: reference,
        compressedBytes: compressed,
        layerOutputs: ['y1', 'y2'],
        batches: data,
        strategy,
        passes: 3,
      });
      const want = await statsOf(reference, data);
      const before = await statsOf(compressed, data);
      const after = await statsOf(result.bytes, data);
      for (const name of ['y1', 'y2']) {
        const sigma = channelStd(want.get(name)!);
        const sigmaBefore = channelStd(before.get(name)!);
        const sigmaAfter = channelStd(after.get(name)!);
        for (let c = 0; c < sigma.length; c++) {
          expect(Math.abs(sigmaBefore[c] / sigma[c] - 1)).toBeGreaterThan(0.05);
          expect(sigmaAfter[c] / sigma[c]).toBeCloseTo(1, 3);
          expect(Math.abs(after.get(name)!.mean[c] - want.get(name)!.mean[c])).toBeLessThan(
            1e-3 * sigma[c],
          );
        }
      }
      // Codes unchanged, byte for byte; scales became per output channel.
      for (const q of ['q1', 'q2']) {
        expect(initializer(result.bytes, q).rawData).toEqual(initializer(compressed, q).rawData);
      }
      const site = findFoldSite(readModel(result.bytes).graph, 'y1');
      expect(floatValues(site.scale!)).toHaveLength(4);
      expect(site.dequantize!.attribute!.find((a) => a.name === 'axis')!.i).toBe(0);
      expect(initializer(result.bytes, 'z1').dims).toEqual([4]);
      // conv2 had no bias: calibration added one.
      expect(findFoldSite(readModel(result.bytes).graph, 'y2').bias).not.toBeNull();
      expect(result.gainDistance.at(-1)!).toBeLessThan(result.gainDistance[0]);
    });
  }

  it('scales the rows of a float weight when there is no DequantizeLinear', async () => {
    const data = batches();
    const reference = floatModel();
    const model = readModel(reference);
    const w = model.graph.initializer!.find((t) => t.name === 'w2')!;
    const scaled = Float32Array.from(floatValues(w), (v) => 3 * v);
    Object.assign(w, makeTensor('w2', DataType.FLOAT, [2, 4, 1, 1], scaled));
    const result = await calibrateModel({
      referenceBytes: reference,
      compressedBytes: writeModel(model),
      layerOutputs: ['y2'],
      batches: data,
      passes: 1,
    });
    const back = floatValues(initializer(result.bytes, 'w2'));
    for (let i = 0; i < back.length; i++) expect(back[i]).toBeCloseTo(w2[i], 4);
  });

  it('the pipeline stage finds layers by name and images from a dataset', async () => {
    const r = centeredLcg(9);
    const images = Array.from({ length: 40 }, () =>
      Float32Array.from({ length: 25 * 3 }, () => 2 * r() + 0.3),
    );
    const dataset: Dataset = {
      count: images.length,
      width: 5,
      height: 5,
      channels: 3,
      pixelType: 'float32',
      labels: null,
      classNames: null,
      itemNames: null,
      getImage: (i) => ({ width: 5, height: 5, channels: 3, data: images[i] }),
    };
    const reference = floatModel();
    const prepared = await prepareModel(reference);
    const written = { bytes: compressedModel(), report: emptyReport() };
    const result = await calibrateCompressedModel(
      prepared,
      written,
      ['conv1', 'conv2'],
      makeCalibrationBatches(prepared.model, dataset, { images: 32 }),
    );
    expect(result.runs).toBe(3);
    const data = batches();
    const want = await statsOf(reference, data);
    const after = await statsOf(result.bytes, data);
    // Calibrated on other images than measured here: close, not exact.
    for (const name of ['y1', 'y2']) {
      const sigma = channelStd(want.get(name)!);
      const sigmaAfter = channelStd(after.get(name)!);
      for (let c = 0; c < sigma.length; c++) {
        expect(Math.abs(sigmaAfter[c] / sigma[c] - 1)).toBeLessThan(0.15);
      }
    }
  });
});

function emptyReport(): CompressionReport {
  const totals = {
    params: 0,
    macs: 0,
    bops: 0,
    bopPercent: 0,
    sizeBytes: 0,
    idealWeightBytes: 0,
    floatSizeBytes: 0,
  };
  return {
    layers: [],
    totals,
    otherWeightBits: 32,
    actBits: 32,
    opsetVersion: 13,
    irVersion: 7,
    notes: [],
  };
}
