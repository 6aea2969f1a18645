// Issue #12 in the app: ConvTranspose and LSTM/GRU weights are quantized only by the pipeline
// (src/core/rewrite/fixedWeights.ts); the compression panel's what-if size counts them, so the
// preview's bytes are the written file's: the layer list's equal the report's totals, and the
// quantized-only weights' equal their tensors in the written file.
import { describe, expect, it } from 'vitest';
import type { ModelOverview } from '../../../src/app/bridge/modelTypes.ts';
import { quantizedOnlyLayers } from '../../../src/app/components/QuantizedOnlyRows.tsx';
import { runAllocation } from '../../../src/app/workbench/allocation.ts';
import { previewCosts } from '../../../src/app/workbench/previewCosts.ts';
import { type CompressSettings, DEFAULT_SETTINGS } from '../../../src/app/workbench/settings.ts';
import { tensorStorageBytes } from '../../../src/core/cost/costModel.ts';
import { jsKernels } from '../../../src/core/kernels/js.ts';
import { analyzeModel } from '../../../src/core/onnx/analyzeModel.ts';
import { readModel } from '../../../src/core/onnx/reader.ts';
import { compressModel, prepareModel } from '../../../src/core/pipeline/index.ts';
import { quantizedOnlyCensus } from '../../../workers/quantizedOnlyCensus.ts';
import { upAndRecurrent } from '../../support/upAndRecurrent.ts';

const H = 8;

/** The page's view of the model, as the model worker builds it. */
async function overview(bytes: Uint8Array): Promise<ModelOverview> {
  const { layers, summary } = await analyzeModel(readModel(bytes));
  return {
    modelId: 'm',
    fileName: 'up.onnx',
    sizeBytes: bytes.length,
    summary,
    layers,
    inputShapes: null,
    quantizedOnly: quantizedOnlyCensus(bytes, readModel(bytes)),
  };
}

describe('the what-if costs count the weights quantized only', () => {
  it("equal the written model's report and tensors (ConvTranspose, LSTM, GRU)", async () => {
    const bytes = upAndRecurrent();
    const model = await overview(bytes);
    // The conv at 4 bits, the other weights at 8: the two kinds of bytes are told apart.
    const settings: CompressSettings = { ...DEFAULT_SETTINGS, method: 'ptq-channel', bits: 4 };
    const preview = previewCosts(model, settings);
    expect(preview.quantizedOnly.layers).toEqual([
      'up (main graph)',
      'lstm (main graph)',
      'gru (main graph)',
    ]);
    const fixedParams = 512 + 4 * H * (12 + H) + 3 * H * (12 + H);
    expect(preview.quantizedOnly.params).toBe(fixedParams);
    // The layer table's rows: each with the census' reason.
    expect(quantizedOnlyLayers(model).map((s) => [s.name, s.reason.split(' (')[0]])).toEqual([
      ['up', 'ConvTranspose: not factorized'],
      ['lstm', 'LSTM: not factorized'],
      ['gru', 'GRU: not factorized'],
    ]);

    const out = await compressModel({
      prepared: await prepareModel(bytes),
      kernels: jsKernels,
      allocation: runAllocation(model.layers, settings),
      check: false,
    });
    // The layer list: what the report totals.
    expect(preview.costs.totals.idealWeightBytes).toBe(out.report.totals.idealWeightBytes);
    expect(preview.costs.totals.bops).toBe(out.report.totals.bops);
    // The quantized-only weights: codes and per-channel scales as written in the file.
    const written = readModel(out.bytes);
    const fixedTensors = (written.graph.initializer ?? []).filter((t) =>
      /^(wt|lw|lr|gw|gr)_(codes|scale)$/.test(t.name ?? ''),
    );
    expect(fixedTensors).toHaveLength(10);
    const fileBytes = fixedTensors.reduce(
      (n, t) =>
        n +
        tensorStorageBytes(
          t.dataType ?? 0,
          (t.dims ?? []).reduce((a, b) => a * Number(b), 1),
        ),
      0,
    );
    expect(preview.quantizedOnly.bytesWithScales).toBe(fileBytes);
    expect(preview.quantizedOnly.idealWeightBytes).toBe(fixedParams);
    expect(preview.idealWeightBytes).toBe(out.report.totals.idealWeightBytes + fixedParams);
    // And the rewrite's own note says the same bytes.
    const kib = `${(preview.quantizedOnly.bytesWithScales / 1024).toFixed(1)} KiB instead of`;
    expect(out.report.notes.join('\n')).toContain(kib);
  }, 30_000);

  it('leaves them float, and says so, when the other layers stay float', async () => {
    const model = await overview(upAndRecurrent());
    const preview = previewCosts(model, { ...DEFAULT_SETTINGS, otherBits: 32 });
    expect(preview.quantizedOnly.bits).toBe(32);
    expect(preview.quantizedOnly.idealWeightBytes).toBe(preview.quantizedOnly.floatWeightBytes);
  });

  it('counts nothing for a model opened before the census existed', () => {
    const preview = previewCosts({ layers: [] }, DEFAULT_SETTINGS);
    expect(preview.quantizedOnly.params).toBe(0);
    expect(preview.idealWeightBytes).toBe(0);
  });
});
