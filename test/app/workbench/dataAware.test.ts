// Data-aware QAF in the app (issue #13): the eval worker's statistics of a run's calibration
// images (the same split the build takes), the layer cache key carrying their hash, the jobs
// transferred with copies of the statistics as typed arrays, and the run's objective in words.
import { describe, expect, it } from 'vitest';
import { transferJob } from '../../../src/app/bridge/compressPool.ts';
import { layerKey } from '../../../src/app/workbench/layerCache.ts';
import { dataAwareRun, objectiveStatement } from '../../../src/app/workbench/pipeline.ts';
import type { InputMoments } from '../../../src/core/factor/inputMoments.ts';
import type { CompressJob, LayerResult } from '../../../src/core/factor/types.ts';
import { buildInputMoments, evaluationSplit } from '../../../workers/compressedBuild.ts';
import { generatedImages, tinyClassifierBytes } from '../../support/generated.ts';

const evaluation = {
  datasetId: 'eval',
  dataset: generatedImages(48, { patternSeed: 3, noiseSeed: 4, labels: null }).dataset,
  fileName: 'eval.npy',
};

const job = (over: Partial<CompressJob> = {}): CompressJob => ({
  name: 'conv2',
  weight: new Float32Array(16 * 16 * 9),
  shape: [16, 16, 3, 3],
  method: 'admm',
  rate: 2,
  bits: 4,
  preset: 'default',
  seed: 0,
  ...over,
});

describe('data-aware QAF in the app', () => {
  it('takes the statistics on the run calibration images in the eval worker step', async () => {
    const part = { subset: 'quick' as const, images: 24 };
    const result = await buildInputMoments(
      {
        modelBytes: tinyClassifierBytes(1).slice().buffer,
        layers: ['conv2', 'fc'],
        calibrationDatasetId: 'eval',
        fromEvaluation: part,
        centre: true,
      },
      evaluation,
    );
    expect(result.note).toBeNull();
    // The build's calibration images: the split the evaluation leaves out.
    expect(result.images).toBe(evaluationSplit(evaluation.dataset, part).calibration.length);
    expect(Object.keys(result.moments).sort()).toEqual(['conv2', 'fc']);
    const conv = result.moments.conv2;
    expect(conv).toMatchObject({ images: 24, channels: 16, kernel: 9, centre: true });
    expect(conv.channel).toBeInstanceOf(Float64Array);
    expect(conv.channel.every(Number.isFinite)).toBe(true);
    expect(result.hashes.conv2).toMatch(/^[0-9a-f]{64}$/);
    expect(result.hashes.conv2).not.toBe(result.hashes.fc);
  });

  it('keys a data-aware layer by its statistics, apart from the published one', () => {
    const published = layerKey('m:1', job({ objective: 'published' }));
    expect(layerKey('m:1', job())).toBe(published);
    // An explicit published job never takes a statistics hash into its key.
    expect(layerKey('m:1', job({ objective: 'published' }), 'abc')).toBe(published);
    const a = layerKey('m:1', job({ objective: 'data' }), 'abc');
    const b = layerKey('m:1', job({ objective: 'data' }), 'abd');
    expect(new Set([published, a, b]).size).toBe(3);
    // Other methods ignore the objective.
    expect(layerKey('m:1', job({ method: 'ptq' }), 'abc')).toBe(
      layerKey('m:1', job({ method: 'ptq' })),
    );
  });

  it('transfers copies of the statistics with the job, leaving the page its own', () => {
    const moments: InputMoments = {
      images: 32,
      samples: 2048,
      channels: 2,
      channel: Float64Array.of(1, 0, 0, 1),
      channelSum: Float64Array.of(3, 4),
      kernel: 1,
      inputMode: 1,
    };
    const sent = transferJob(job({ objective: 'data', inputMoments: moments }));
    const m = sent.inputMoments!;
    expect(m.channel).not.toBe(moments.channel);
    expect([...m.channel]).toEqual([1, 0, 0, 1]);
    expect([...m.channelSum!]).toEqual([3, 4]);
    expect(m.spatial).toBeUndefined();
    // Transferring the copies detaches them, never the page's arrays.
    structuredClone(sent, {
      transfer: [m.channel.buffer, m.channelSum!.buffer] as ArrayBuffer[],
    });
    expect(moments.channel.length).toBe(4);
    expect(m.channel.length).toBe(0);
  });

  it('says the objective in words, and when it fell back', () => {
    expect(dataAwareRun({}, { kind: 'separate', datasetId: 'c' })).toBe(true);
    expect(dataAwareRun({ qafObjective: 'published' }, { kind: 'separate', datasetId: 'c' })).toBe(
      false,
    );
    expect(dataAwareRun({}, null)).toBe(false);
    // Without images, the user's input arrays give the statistics.
    expect(dataAwareRun({}, null, true)).toBe(true);
    expect(dataAwareRun({ qafObjective: 'published' }, null, true)).toBe(false);
    const result = (objective: 'data' | 'published', warning?: string) =>
      ({ name: 'l', method: 'admm', objective, warning }) as LayerResult;
    const moments = { byLayer: new Map(), hashes: new Map(), images: 1024, note: null };
    expect(objectiveStatement(null, [result('published')])).toBeNull();
    expect(objectiveStatement(moments, [result('data'), result('data')])).toBe(
      "data-aware: solved for the layers' inputs on 1,024 images",
    );
    expect(objectiveStatement(moments, [result('data'), result('published')])).toBe(
      "data-aware: solved for the layers' inputs on 1,024 images (1 of 2 layers; the others published)",
    );
    expect(
      objectiveStatement({ ...moments, images: 24, arraysSource: 'features.npy' }, [
        result('data'),
      ]),
    ).toBe("data-aware: solved for the layers' inputs on 24 samples of your arrays (features.npy)");
    expect(
      objectiveStatement({ ...moments, images: 8 }, [result('published', 'only 8 images')]),
    ).toBe('published objective: data-aware QAF not used (only 8 images)');
  });
});
