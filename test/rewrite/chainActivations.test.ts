import { beforeAll, expect, it } from 'vitest';
import { makeCalibrationBatches } from '../../src/core/calibrate/index.ts';
import { parseCifar10 } from '../../src/core/data/cifar10.ts';
import { top1 } from '../../src/core/eval/metrics.ts';
import type { LayerResult } from '../../src/core/factor/types.ts';
import { discoverLayers, type LayerInfo } from '../../src/core/onnx/layers.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { inferShapes } from '../../src/core/onnx/shapes/inferShapes.ts';
import type { OnnxModel } from '../../src/core/onnx/types.ts';
import {
  type PreparedModel,
  prepareModel,
  writeCompressedModel,
} from '../../src/core/pipeline/index.ts';
import type { CompressedModel } from '../../src/core/rewrite/compressModel.ts';
import { GraphEditor } from '../../src/core/rewrite/graphEdit.ts';
import { describeShared, readShared } from '../support/shared.ts';
import { nodesWithFloatInputs, runModel } from './helpers.ts';
import { blockResults, testImages } from './resnet20Fixture.ts';

const IMAGES = 200;

/** The model with the Q/DQ pairs on `tensors` removed, their consumers reading the float tensor. */
function withoutQdqOn(model: OnnxModel, tensors: ReadonlySet<string>): OnnxModel {
  const ed = new GraphEditor(model);
  const nodes = ed.nodes;
  const q = nodes.filter((n) => n.opType === 'QuantizeLinear' && tensors.has(n.input?.[0] ?? ''));
  const back = new Map<string, string>();
  const drop = new Set(q);
  for (const qn of q) {
    const dq = nodes.find(
      (n) => n.opType === 'DequantizeLinear' && n.input?.[0] === qn.output?.[0],
    );
    if (!dq) throw new Error(`no DequantizeLinear after ${qn.name}`);
    drop.add(dq);
    back.set(dq.output?.[0] ?? '', qn.input?.[0] ?? '');
  }
  nodes.forEach((n, i) => {
    if (drop.has(n)) ed.replaceNode(i, []);
    else n.input = (n.input ?? []).map((s) => back.get(s) ?? s);
  });
  return ed.commit();
}

describeShared('ResNet-20 at rate 2, w4, act 8: the tensors inside factorized chains', () => {
  let model: OnnxModel;
  let layers: LayerInfo[];
  let results: LayerResult[];
  let built: CompressedModel;
  let prepared: PreparedModel;
  let images: Float32Array;
  let labels: Int32Array;
  const dims = [IMAGES, 3, 32, 32];

  beforeAll(async () => {
    const modelBytes = readShared('models/resnet20_cifar10.onnx');
    model = readModel(modelBytes);
    layers = discoverLayers(model, inferShapes(model, { inputShapes: { input: [1, 3, 32, 32] } }));
    results = await blockResults(
      model,
      layers.filter((l) => l.op === 'Conv' && l.factorizable),
    );
    const dataset = parseCifar10(readShared('data/cifar10_train_5k.bin'));
    prepared = await prepareModel(modelBytes);
    // The app's setting: 256 calibration images, min-max ranges, uint8.
    const batches = makeCalibrationBatches(prepared.model, dataset, { images: 256 });
    built = await writeCompressedModel(prepared, results, { actBits: 8 }, batches);
    ({ images, labels } = testImages(IMAGES));
  });

  it('a Q/DQ pair feeds the data input of every Conv and Gemm, chain factors included', () => {
    const m = built.model;
    const byName = new Map((m.graph.node ?? []).map((n) => [n.name ?? '', n]));
    const producer = new Map((m.graph.node ?? []).map((n) => [n.output?.[0] ?? '', n]));
    for (const r of results) {
      const names = built.names.get(r.name);
      expect(names?.nodeNames).toHaveLength(3);
      expect(names?.chainTensorNames).toHaveLength(2);
      for (const nodeName of names?.nodeNames ?? []) {
        const node = byName.get(nodeName);
        const dq = producer.get(node?.input?.[0] ?? '');
        expect(dq?.opType).toBe('DequantizeLinear');
        expect(producer.get(dq?.input?.[0] ?? '')?.opType).toBe('QuantizeLinear');
        expect(producer.get(node?.input?.[1] ?? '')?.opType).toBe('DequantizeLinear');
      }
    }
    // Every weight node of the graph (stem conv, shortcut convs, the Gemm) as well.
    expect(nodesWithFloatInputs(m)).toEqual([]);
    const quantize = (m.graph.node ?? []).filter((n) => n.opType === 'QuantizeLinear');
    const layerInputs = new Set(layers.map((l) => model.graph.node?.[l.nodeIndex].input?.[0]));
    expect(quantize).toHaveLength(layerInputs.size + 18 * 2);
    expect(built.report.notes.join(' ')).toMatch(/factorized chains included/);
  });

  it('still runs in onnxruntime-web; top-1 within 5 points of the model without chain Q/DQ', async () => {
    const chain = new Set([...built.names.values()].flatMap((n) => n.chainTensorNames));
    const without = writeModel(withoutQdqOn(built.model, chain));
    const float32Acts = await writeCompressedModel(prepared, results, {}, null);
    const acc = async (m: OnnxModel | Uint8Array) => {
      const y = await runModel(m, images, dims);
      expect(y.every(Number.isFinite)).toBe(true);
      return top1(y, labels, 10);
    };
    const withChain = await acc(built.bytes);
    const withoutChain = await acc(without);
    const floatActs = await acc(float32Acts.bytes);
    const original = await acc(model);
    console.log(
      `ResNet-20 top-1 on ${IMAGES} test images: float ${original}, w4 a32 ${floatActs}, ` +
        `w4 a8 layer inputs only ${withoutChain} (${without.length} B), ` +
        `w4 a8 with chain Q/DQ ${withChain} (${built.bytes.length} B)`,
    );
    expect(withChain).toBeGreaterThan(0.7);
    expect(Math.abs(withChain - withoutChain)).toBeLessThanOrEqual(0.05);
  });
});
