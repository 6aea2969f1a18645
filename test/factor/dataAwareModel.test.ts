// Data-aware QAF through the pipeline on ResNet-20: the input statistics are collected from the
// calibration images; too few images fall back to the published objective with a note, never to
// NaN factors; enough images give a layer solved for the data-aware objective.
import { expect, it } from 'vitest';
import { makeCalibrationBatches } from '../../src/core/calibrate/batches.ts';
import { collectInputMoments } from '../../src/core/calibrate/inputMoments.ts';
import { parseCifar10 } from '../../src/core/data/cifar10.ts';
import { momentWeights } from '../../src/core/factor/inputMoments.ts';
import { loadKernels } from '../../src/core/kernels/index.ts';
import { compressModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { describeShared, readShared } from '../support/shared.ts';

const LAYER = '/layer1/layer1.0/conv1/Conv';

describeShared('data-aware QAF on ResNet-20', () => {
  const kernels = loadKernels();
  const prepared = prepareModel(readShared('models/resnet20_cifar10.onnx'));
  const train = parseCifar10(readShared('data/cifar10_train_5k.bin'));

  async function build(images: number) {
    const p = await prepared;
    const batches = makeCalibrationBatches(p.model, train, { images });
    return compressModel({
      prepared: p,
      kernels: await kernels,
      allocation: {
        settings: { method: 'admm', rate: 2, bits: 4, objective: 'data' },
        selection: { names: [LAYER] },
      },
      calibration: { batches, calibrate: false },
      check: false,
    });
  }

  it.each([1, 8])(
    '%i calibration images: published objective, a note, finite factors',
    async (n) => {
      const built = await build(n);
      const [r] = built.results;
      expect(r.objective).toBe('published');
      expect(r.warning).toMatch(/too few/);
      expect(
        built.report.notes.some((note) => note.includes('data-aware objective not used')),
      ).toBe(true);
      for (const f of r.factors) expect(f.values.every(Number.isFinite)).toBe(true);
    },
  );

  it('collects every block conv input in one pass; 32 images suffice for the first', async () => {
    const p = await prepared;
    const batches = makeCalibrationBatches(p.model, train, { images: 32 });
    const layers = p.layers.filter((l) => l.factorizable);
    const moments = await collectInputMoments(await kernels, p.model, layers, batches);
    expect(moments.size).toBe(18);
    const last = moments.get(LAYER)!;
    expect(last).toMatchObject({ images: 32, samples: 32 * 1024, channels: 16, kernel: 9 });
    expect('weights' in momentWeights(last, [16, 16, 3, 3])).toBe(true);
    const built = await build(32);
    expect(built.results[0].objective).toBe('data');
    expect(built.results[0].outputError).toBeGreaterThan(0);
  });
});
