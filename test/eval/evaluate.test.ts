import { expect, it } from 'vitest';
import { parseCifar10 } from '../../src/core/data/cifar10.ts';
import { nodeImageDecoder } from '../../src/core/data/nodeImageDecoder.ts';
import { parseNpyImages } from '../../src/core/data/npy.ts';
import { defaultPreprocessSpec, makeBatch } from '../../src/core/data/preprocess.ts';
import { rangeIndices } from '../../src/core/data/subset.ts';
import { parseImageZip } from '../../src/core/data/zipImages.ts';
import { evaluateModel } from '../../src/core/eval/evaluate.ts';
import { readModel, writeModel } from '../../src/core/onnx/index.ts';
import type { ProgressEvent } from '../../src/core/util/progress.ts';
import { npyBytes, pngBytes, zipBytes } from '../data/fixtures.ts';
import { describeShared, readShared, sharedSkipReason } from '../support/shared.ts';

const LONG_MS = 1_500_000;

/** The same model with its batch dim fixed to `batch` on the graph input and output. */
function withFixedBatch(bytes: Uint8Array, batch: number): Uint8Array {
  const model = readModel(bytes);
  for (const io of [model.graph.input![0], model.graph.output![0]]) {
    io.type!.tensorType!.shape!.dim![0] = { dimValue: batch };
  }
  return writeModel(model);
}

describeShared(`evaluateModel on the shared CIFAR-10 ResNets${sharedSkipReason}`, () => {
  const testSet = parseCifar10(readShared('data/cifar10_test_batch.bin'));
  const resnet20 = readShared('models/resnet20_cifar10.onnx');
  const resnet56 = readShared('models/resnet56_cifar10.onnx');
  const first = (n: number) => rangeIndices(n);

  it(
    'ResNet-20 scores the published 91.73 % top-1 on all 10,000 test images',
    async () => {
      const r = await evaluateModel({ modelBytes: resnet20, dataset: testSet, latencyRuns: 0 });
      expect(r.images).toBe(10_000);
      expect(Math.round(r.accuracy! * 10_000)).toBe(9173);
      expect(r.top5).toBeGreaterThan(0.99);
      expect(r.agreement).toBeNull();
      expect(r.spec.layout).toBe('NCHW');
    },
    LONG_MS,
  );

  it(
    'ResNet-56 scores the published 93.39 %',
    async () => {
      const r = await evaluateModel({ modelBytes: resnet56, dataset: testSet, latencyRuns: 0 });
      expect(Math.round(r.accuracy! * 10_000)).toBe(9339);
    },
    LONG_MS,
  );

  it('a model agrees with itself exactly: agreement 1, KL 0, latency for both', async () => {
    const events: ProgressEvent[] = [];
    const r = await evaluateModel({
      modelBytes: resnet20,
      referenceBytes: resnet20,
      dataset: testSet,
      indices: first(200),
      onProgress: (e) => events.push(e),
    });
    expect(r.agreement).toBe(1);
    expect(r.klDiv).toBeCloseTo(0, 12);
    expect(r.latencyMs!.runs).toBe(30);
    expect(r.referenceLatencyMs!.runs).toBe(30);
    expect(r.latencyMs!.p90).toBeGreaterThanOrEqual(r.latencyMs!.median);
    expect([r.batch, r.threads, r.runtime]).toEqual([1, 1, 'onnxruntime-web 1.30.0 wasm']);
    const progress = events.map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(events[events.length - 1]).toMatchObject({ progress: 1, status: 'done' });
  });

  it('ResNet-20 against ResNet-56: mostly agreeing, positive KL', async () => {
    const r = await evaluateModel({
      modelBytes: resnet20,
      referenceBytes: resnet56,
      dataset: testSet,
      indices: first(300),
      batchSize: 64,
      latencyRuns: 0,
    });
    expect(r.agreement).toBeGreaterThan(0.85);
    expect(r.agreement).toBeLessThan(1);
    expect(r.klDiv).toBeGreaterThan(0);
    expect(r.latencyMs).toBeNull();
  });

  it('a zip of 200 PNGs predicts exactly what the binary file does', async () => {
    const indices = first(200);
    const names = testSet.classNames!;
    const files: Record<string, Uint8Array> = {};
    for (const i of indices) {
      const name = `${names[testSet.labels![i]]}/${String(i).padStart(5, '0')}.png`;
      files[name] = pngBytes(32, 32, testSet.getImage(i).data as Uint8Array);
    }
    const zipped = await parseImageZip(zipBytes(files), nodeImageDecoder);
    expect(zipped.classNames).toEqual(names);
    const fromBinary = await evaluateModel({
      modelBytes: resnet20,
      dataset: testSet,
      indices,
      latencyRuns: 0,
    });
    const fromZip = await evaluateModel({ modelBytes: resnet20, dataset: zipped, latencyRuns: 0 });
    const zipOrder = zipped.itemNames!.map((n) => Number(n.slice(-9, -4)));
    const binaryInZipOrder = zipOrder.map((i) => fromBinary.predictions[i]);
    expect(Array.from(fromZip.predictions)).toEqual(binaryInZipOrder);
    expect(fromZip.accuracy).toBe(fromBinary.accuracy);
  });

  it('an unlabelled .npy of ready-made inputs gives agreement only', async () => {
    const spec = defaultPreprocessSpec([1, 3, 32, 32]);
    const inputs = makeBatch(testSet, spec, first(50));
    const npy = parseNpyImages(npyBytes('<f4', [50, 3, 32, 32], inputs));
    const r = await evaluateModel({
      modelBytes: resnet20,
      referenceBytes: resnet20,
      dataset: npy,
      latencyRuns: 0,
    });
    const fromBinary = await evaluateModel({
      modelBytes: resnet20,
      dataset: testSet,
      indices: first(50),
      latencyRuns: 0,
    });
    expect([r.accuracy, r.top5, r.agreement]).toEqual([null, null, 1]);
    expect(Array.from(r.predictions)).toEqual(Array.from(fromBinary.predictions));
  });

  it('feeds fixed-batch models their own batch size, padding the last batch', async () => {
    const indices = first(10);
    const dynamic = await evaluateModel({
      modelBytes: resnet20,
      dataset: testSet,
      indices,
      latencyRuns: 0,
    });
    for (const batch of [1, 4]) {
      const r = await evaluateModel({
        modelBytes: withFixedBatch(resnet20, batch),
        referenceBytes: resnet20,
        dataset: testSet,
        indices,
        latencyRuns: 2,
      });
      expect(r.batch).toBe(batch);
      expect(r.images).toBe(10);
      expect(Array.from(r.predictions)).toEqual(Array.from(dynamic.predictions));
      expect(r.agreement).toBe(1);
    }
  });

  it('stops between batches when aborted', async () => {
    const controller = new AbortController();
    let batches = 0;
    const run = evaluateModel({
      modelBytes: resnet20,
      dataset: testSet,
      indices: first(1000),
      latencyRuns: 0,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.loaded > 0) {
          batches++;
          controller.abort();
        }
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(batches).toBe(1);
  });
});
