// ResNet-20 block-conv results and CIFAR-10 test images shared by the ResNet-20 rewrite tests.
import { parseCifar10 } from '../../src/core/data/cifar10.ts';
import { defaultPreprocessSpec, makeBatch } from '../../src/core/data/preprocess.ts';
import { ftqFactors } from '../../src/core/factor/baselines.ts';
import { compressLayer } from '../../src/core/factor/compressLayer.ts';
import { cpAls } from '../../src/core/factor/cpAls.ts';
import { modelLayerJobs } from '../../src/core/factor/modelJobs.ts';
import type { LayerResult } from '../../src/core/factor/types.ts';
import { jsKernels, loadKernels } from '../../src/core/kernels/index.ts';
import type { LayerInfo } from '../../src/core/onnx/layers.ts';
import { tensorToFloat32 } from '../../src/core/onnx/tensor.ts';
import type { OnnxModel } from '../../src/core/onnx/types.ts';
import { readShared } from '../support/shared.ts';
import { layerResult } from './helpers.ts';

export function weightOf(model: OnnxModel, layer: LayerInfo): Float32Array {
  const t = model.graph.initializer?.find((x) => x.name === layer.weightName);
  if (!t) throw new Error(`no weight for ${layer.name}`);
  return tensorToFloat32(t);
}

// The real engine (ADMM, rate 2, 4 bits, via the same job builder as the CLI) when the SIMD
// kernels are built (about 20 s); with the plain-JS fallback that would take minutes, so then
// FTQ from the engine's own pieces with a short CP-ALS stands in: the rewrite only needs
// rank-R codes on a grid.
export async function blockResults(model: OnnxModel, blocks: LayerInfo[]): Promise<LayerResult[]> {
  const kernels = await loadKernels();
  if (kernels.name !== 'js') {
    const jobs = modelLayerJobs(model, { method: 'admm', rate: 2, bits: 4 });
    return jobs.map((job) => compressLayer(kernels, job));
  }
  console.warn('rewrite test: SIMD kernels not built, using a quick FTQ instead of ADMM');
  return blocks.map((l) => quickFtq(model, l, 2, 4));
}

function quickFtq(model: OnnxModel, layer: LayerInfo, rate: number, bits: number): LayerResult {
  const [i, j, kh, kw] = layer.weightShape;
  const dims = [i, j, kh * kw];
  const rank = Math.floor((i * j * kh * kw) / ((i + j + kh * kw) * rate));
  const float = cpAls(jsKernels, weightOf(model, layer), dims, rank, { maxIterations: 8 });
  const grid = ftqFactors(jsKernels, float.factors, bits);
  const factors = grid.map((g, n) => ({ rows: dims[n], cols: rank, ...g }));
  return layerResult(layer.name, 'ftq', [...layer.weightShape], rank, bits, factors);
}

/** The first `count` CIFAR-10 test images, preprocessed as evaluation does, and their labels. */
export function testImages(count: number): { images: Float32Array; labels: Int32Array } {
  const dataset = parseCifar10(readShared('data/cifar10_test_batch.bin'));
  const spec = defaultPreprocessSpec([1, 3, 32, 32], dataset);
  const indices = Int32Array.from({ length: count }, (_, k) => k);
  const labels = dataset.labels ? indices.map((k) => dataset.labels![k]) : new Int32Array(count);
  return { images: makeBatch(dataset, spec, indices), labels };
}
