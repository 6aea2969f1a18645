// Calibration on the real ResNet-20: it must never cost more than noise, and QAF must stay far
// above FTQ at the same setting (1,000 test images, 256 calibration training images).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { parseCifar10 } from '../../src/core/data/cifar10.ts';
import { subsetIndices } from '../../src/core/data/subset.ts';
import { runModelSweep } from '../../src/core/sweep/modelSweep.ts';
import type { SweepPoint } from '../../src/core/sweep/types.ts';
import { describeShared, sharedPath, sharedSkipReason } from '../support/shared.ts';

describeShared(`calibration on ResNet-20 / CIFAR-10${sharedSkipReason}`, () => {
  it('ADMM r2 w4: calibrated >= uncalibrated - 1 point, and well above FTQ', async () => {
    const read = (p: string) => new Uint8Array(readFileSync(sharedPath(p)));
    const testBytes = read('data/cifar10_test_batch.bin');
    const trainBytes = read('data/cifar10_train_5k.bin');
    const test = parseCifar10(testBytes);
    const point = (method: 'admm' | 'ftq', calibrated: boolean): SweepPoint => ({
      method,
      rate: 2,
      bits: 4,
      actBits: null,
      calibrated,
    });
    const result = await runModelSweep({
      modelBytes: read('models/resnet20_cifar10.onnx'),
      dataset: test,
      dataBytes: testBytes,
      indices: subsetIndices(test, 'quick', 1000),
      points: [point('admm', false), point('admm', true), point('ftq', true)],
      calibration: { dataset: parseCifar10(trainBytes), dataBytes: trainBytes, images: 256 },
      latencyRuns: 0,
    });
    const [admm, admmCalibrated, ftqCalibrated] = result.rows.map((r) => r.accuracy);
    expect(result.layers).toHaveLength(18);
    expect(admmCalibrated).toBeGreaterThanOrEqual(admm - 0.01);
    expect(admmCalibrated).toBeGreaterThan(0.8);
    expect(admmCalibrated - ftqCalibrated).toBeGreaterThan(0.3);
  });
});
