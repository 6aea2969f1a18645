// The app's build step (workers/compressedBuild.ts, run here in Node): without a separate set it
// calibrates on a part of the evaluation set and says so; the evaluation of the same run gets
// the other images (the same split); a second build of the same model on the same images reuses
// the original's statistics; a set that cannot feed the model is refused before the rewrite.
import { describe, expect, it } from 'vitest';
import { compressLayer } from '../../src/core/factor/compressLayer.ts';
import { modelLayerJobs } from '../../src/core/factor/modelJobs.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { readModel } from '../../src/core/onnx/reader.ts';
import {
  type BuildRequest,
  buildCompressed,
  evaluationIndices,
  evaluationSplit,
} from '../../workers/compressedBuild.ts';
import { generatedImages, tinyClassifierBytes } from '../support/generated.ts';

async function request(part: BuildRequest['fromEvaluation']): Promise<BuildRequest> {
  const modelBytes = tinyClassifierBytes(1);
  const jobs = modelLayerJobs(readModel(modelBytes), {
    method: 'ptq',
    bits: 8,
    preset: 'default',
    seed: 0,
    perChannel: false,
  });
  const kernels = await loadKernels();
  return {
    modelBytes: modelBytes.slice().buffer,
    results: jobs.map((job) => compressLayer(kernels, job)),
    otherWeightBits: 8,
    actBits: 32,
    calibrate: true,
    calibrationDatasetId: 'eval',
    fromEvaluation: part,
  };
}

const labels = Int32Array.from({ length: 40 }, (_, i) => i % 4);
const evaluation = {
  datasetId: 'eval',
  dataset: generatedImages(40, { patternSeed: 3, noiseSeed: 4, labels }).dataset,
  fileName: 'eval.npy',
};

describe('the app build calibrating on a part of the evaluation set', () => {
  it('calibrates on the set-aside images, says so, and reuses the reference next time', async () => {
    const part = { subset: 'quick' as const, images: 16 };
    const first = await buildCompressed(await request(part), evaluation);
    expect(first.calibrated).toBe(true);
    expect(first.calibrationImages).toBe(16);
    expect(first.calibrationStatement).toBe(
      'calibrated on 16 of your images, evaluated on the other 24',
    );
    expect(first.calibrationWarning).toMatch(/only 16 calibration images/);
    expect(first.report.notes).toContain(
      'calibrated on 16 of your images, evaluated on the other 24',
    );
    // The run's evaluation takes the other images, the same split as the build's.
    const split = evaluationSplit(evaluation.dataset, part);
    expect(split.evaluation).toHaveLength(24);
    const all = evaluationIndices(evaluation.dataset, 'quick');
    expect(all).toHaveLength(40);
    const calibration = new Set(split.calibration);
    expect(split.evaluation.every((i) => !calibration.has(i))).toBe(true);

    const layers = first.report.layers.length;
    expect(first.calibrationRuns).toBe(layers + 1);
    const second = await buildCompressed(await request(part), evaluation);
    expect(second.calibrationRuns).toBe(layers);
    expect(second.bytes).toEqual(first.bytes);
  });

  it('keeps the evaluated images when the set has room outside them', async () => {
    const built = await buildCompressed(
      await request({ subset: 'quick', limit: 12, images: 20 }),
      evaluation,
    );
    expect(built.calibrationStatement).toBe(
      'calibrated on 20 of your images, none of them among the 12 evaluated',
    );
  });

  it('refuses calibration images the model cannot take, naming both shapes', async () => {
    const grey = {
      ...evaluation,
      datasetId: 'grey',
      dataset: { ...evaluation.dataset, channels: 1, pixelType: 'float32' as const },
    };
    await expect(buildCompressed(await request(null), grey)).rejects.toThrow(
      'calibration inputs are 8x8x1 float values, used as they are, but the model input is ' +
        '[batch, 3, 8, 8] (NCHW)',
    );
  });
});
