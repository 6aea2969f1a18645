// Calibration after compression for a model with two inputs (issue #12 item 4): the user's arrays
// become batches that carry every input by name (tensorCalibrationBatches), calibration feeds
// them all, and the check runs the written model on them next to an 8-bit PTQ.
import { describe, expect, it } from 'vitest';
import { tensorCalibrationBatches } from '../../src/core/calibrate/batches.ts';
import { modelInputSpecs, tensorSetFromArrays } from '../../src/core/data/tensors.ts';
import { compressLayer } from '../../src/core/factor/compressLayer.ts';
import { allocationJobs } from '../../src/core/factor/modelJobs.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
} from '../../src/core/onnx/builders.ts';
import { writeModel } from '../../src/core/onnx/reader.ts';
import { DataType } from '../../src/core/onnx/types.ts';
import { compressModel } from '../../src/core/pipeline/compressModel.ts';
import { prepareModel } from '../../src/core/pipeline/prepare.ts';
import { randomArray } from '../rewrite/helpers.ts';

/** Audio [N, 1, 256] through a 1-D conv, plus a second input [N, 16, 256], then another conv. */
function twoInputAudioModel(): Uint8Array {
  const graph = makeGraph({
    nodes: [
      makeNode('Conv', ['x', 'w1'], ['c1'], { kernel_shape: [9], pads: [4, 4] }, { name: 'c1' }),
      makeNode('Add', ['c1', 'bias'], ['a1']),
      makeNode('Relu', ['a1'], ['r1']),
      makeNode('Conv', ['r1', 'w2'], ['c2'], { kernel_shape: [5], pads: [2, 2] }, { name: 'c2' }),
      makeNode('Relu', ['c2'], ['y']),
    ],
    inputs: [
      makeValueInfo('x', DataType.FLOAT, ['N', 1, 256]),
      makeValueInfo('bias', DataType.FLOAT, ['N', 16, 256]),
    ],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['N', 32, 256])],
    initializers: [
      makeTensor('w1', DataType.FLOAT, [16, 1, 9], randomArray(144, 5, 0.3)),
      makeTensor('w2', DataType.FLOAT, [32, 16, 5], randomArray(2560, 6, 0.2)),
    ],
  });
  return writeModel(makeModel(graph));
}

function arrays(n: number, seed: number) {
  const x = Float32Array.from({ length: n * 256 }, (_, i) => Math.sin((i % 256) * 0.07 + seed));
  const bias = Float32Array.from({ length: n * 16 * 256 }, (_, i) => 0.1 * Math.cos(i + seed));
  return new Map([
    ['x', { dtype: 'float32' as const, shape: [n, 1, 256], data: x }],
    ['bias', { dtype: 'float32' as const, shape: [n, 16, 256], data: bias }],
  ]);
}

describe('calibration on the arrays of a two-input model', () => {
  it('feeds every input by name to calibration and to the check', async () => {
    const prepared = await prepareModel(twoInputAudioModel());
    const specs = modelInputSpecs(prepared.model);
    const batches = tensorCalibrationBatches(
      prepared.model,
      tensorSetFromArrays(arrays(24, 0), specs),
      { batchSize: 10 },
    );
    expect(batches.map((b) => b.dims[0])).toEqual([10, 10, 4]);
    expect(Object.keys(batches[0].inputs ?? {})).toEqual(['x', 'bias']);
    expect(batches[0].inputs?.bias.dims).toEqual([10, 16, 256]);

    const kernels = await loadKernels();
    const jobs = allocationJobs(prepared.model, prepared.layers, {
      settings: { method: 'admm', rate: 2, bits: 4, preset: 'default', seed: 0 },
      selection: { names: ['c2'] },
    });
    const results = jobs.map((job) => compressLayer(kernels, job));
    const check = tensorSetFromArrays(arrays(4, 1), specs);
    const out = await compressModel({
      prepared,
      kernels,
      results,
      calibration: { batches, calibrate: true },
      checkData: check,
    });
    expect(out.calibrated).toBe(true);
    expect(out.calibrationRuns).toBeGreaterThan(0);
    expect(out.check?.inputs).toBe('samples of your inputs (x.npy, bias.npy)');
    expect(out.check?.samples).toBe(4);
    expect(out.check?.peer).not.toBeNull();
    expect(out.check?.outputs[0].relativeL2).toBeLessThan(0.5);
  });
});
