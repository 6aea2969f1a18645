// Sequential calibration from cached activations must give what re-running the network from the
// input at every step gives, to float rounding: same statistics (reduced in the graph),
// same corrections, a dead channel left dead, on a residual network whose cuts carry two tensors,
// at two opsets (reduction axes as attribute and as input), with odd batch sizes, and with 1 or 8
// images (no NaN).
import { describe, expect, it } from 'vitest';
import { calibrateModel } from '../../src/core/calibrate/calibrateModel.ts';
import { channelStd } from '../../src/core/calibrate/channelStats.ts';
import { findFoldSite } from '../../src/core/calibrate/graphEdit.ts';
import {
  type CalibrationBatch,
  collectOutputMoments,
  collectOutputStats,
} from '../../src/core/calibrate/outputStats.ts';
import { floatValues } from '../../src/core/calibrate/tensorData.ts';
import { prunedToOutputs } from '../../src/core/onnx/graphOutputs.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import {
  LAYER_OUTPUTS,
  residualBatches,
  residualCompressed,
  residualFloat,
} from './residualFixture.ts';

function floatInitializers(model: OnnxModel): Map<string, Float32Array> {
  return new Map(
    (model.graph.initializer ?? [])
      .filter((t) => t.dataType === DataType.FLOAT)
      .map((t) => [t.name ?? '', floatValues(t)]),
  );
}

/** Largest |a - b| over a tensor, relative to the tensor's largest |a|. */
function worstDifference(a: OnnxModel, b: OnnxModel): number {
  const left = floatInitializers(a);
  const right = floatInitializers(b);
  expect([...right.keys()].sort()).toEqual([...left.keys()].sort());
  let worst = 0;
  for (const [name, x] of left) {
    const y = right.get(name)!;
    const scale = Math.max(1e-30, ...Array.from(x, Math.abs));
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
  }
  return worst;
}

async function calibrateBoth(batches: CalibrationBatch[], opset = 17) {
  const common = {
    referenceBytes: residualFloat(opset),
    compressedBytes: residualCompressed(opset),
    layerOutputs: LAYER_OUTPUTS,
    batches,
  };
  const rerun = await calibrateModel({ ...common, strategy: 'rerun' });
  const cut = await calibrateModel({ ...common, strategy: 'sequential' });
  return { rerun, cut };
}

describe('sequential calibration from cached activations', () => {
  for (const opset of [17, 21]) {
    it(`gives the corrections of re-running from the input (opset ${opset})`, async () => {
      const { rerun, cut } = await calibrateBoth(residualBatches(), opset);
      expect(worstDifference(rerun.model, cut.model)).toBeLessThan(1e-5);
      expect(cut.gainDistance).toHaveLength(LAYER_OUTPUTS.length);
      for (let k = 0; k < LAYER_OUTPUTS.length; k++) {
        expect(cut.gainDistance[k]).toBeCloseTo(rerun.gainDistance[k], 5);
      }
      // One pass of the reference and one of the compressed network, against 1 + 29/12.
      expect(cut.networkPasses).toBe(2);
      expect(rerun.networkPasses).toBeCloseTo(1 + 29 / 12, 12);
      expect(cut.runs).toBe(rerun.runs);
      // The cache holds at most the tensors live across one cut (r0, y1, y2 at most).
      const perImage = 6 * 25 * 4;
      expect(cut.peakCacheBytes).toBeGreaterThan(0);
      expect(cut.peakCacheBytes).toBeLessThanOrEqual(3 * 26 * perImage);
      expect(rerun.peakCacheBytes).toBe(0);
    });
  }

  it('leaves the dead channel dead (gain 1, mean matched) as re-running does', async () => {
    const { rerun, cut } = await calibrateBoth(residualBatches());
    for (const result of [rerun, cut]) {
      const site = findFoldSite(result.model.graph, 'y2');
      // Gain 1: the scale is untouched (its codes are 0, so only the bias carries the mean).
      expect(floatValues(site.scale!)[3]).toBe(Math.fround(0.01));
    }
    const bias = (m: OnnxModel) => floatValues(findFoldSite(m.graph, 'y2').bias!)[3];
    expect(bias(cut.model)).toBeCloseTo(bias(rerun.model), 6);
  });

  it('reduces statistics in the graph to the JavaScript ones (to a float32 rounding)', async () => {
    const model = readModel(residualCompressed());
    const batches = residualBatches([5, 11]);
    const inGraph = await collectOutputMoments(model, LAYER_OUTPUTS, batches);
    const js = await collectOutputStats(
      writeModel(prunedToOutputs(model, LAYER_OUTPUTS)),
      LAYER_OUTPUTS,
      batches,
    );
    for (const name of LAYER_OUTPUTS) {
      const a = inGraph.get(name)!;
      const b = js.get(name)!;
      expect(a.count).toBe(b.count);
      const std = channelStd(b);
      for (let c = 0; c < a.channels; c++) {
        // Per-image float32 sums, then float64: about 1e-7 relative.
        expect(Math.abs(a.mean[c] - b.mean[c])).toBeLessThanOrEqual(1e-6 * (1 + std[c]));
        expect(Math.abs(a.m2[c] - b.m2[c])).toBeLessThanOrEqual(1e-6 * b.m2[c]);
      }
    }
    // conv2's dead channel: exactly zero variance, as in float64 JavaScript.
    expect(inGraph.get('y2')!.m2[3]).toBe(0);
  });

  for (const images of [1, 8]) {
    it(`calibrates on ${images} image(s) without NaN, the same both ways`, async () => {
      const { rerun, cut } = await calibrateBoth(residualBatches([images], 9));
      for (const result of [rerun, cut]) {
        for (const values of floatInitializers(result.model).values()) {
          expect(values.every(Number.isFinite)).toBe(true);
        }
      }
      expect(worstDifference(rerun.model, cut.model)).toBeLessThan(1e-5);
    });
  }
});
