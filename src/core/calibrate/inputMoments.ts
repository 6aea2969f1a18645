// The input statistics data-aware QAF weighs its error with (factor/inputMoments.ts): the
// original model run once over the calibration batches with the inputs of every wanted layer
// exposed as graph outputs, each input reduced at once to its channel second moment (x x^T over
// the channel vectors of every position) and, for k x k convs, the kernel x kernel second
// moment of its im2col patches. Both reductions are products on the kernels.
import { createSession } from '../eval/session.ts';
import type { InputMoments } from '../factor/inputMoments.ts';
import type { Kernels } from '../kernels/types.ts';
import { attrInt } from '../onnx/attributes.ts';
import { withGraphOutputs } from '../onnx/graphOutputs.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import { writeModel } from '../onnx/reader.ts';
import type { OnnxModel } from '../onnx/types.ts';
import type { ProgressCallback } from '../util/progress.ts';
import { batchFeeds, type CalibrationBatch } from './outputStats.ts';

interface Accumulator {
  layer: LayerInfo;
  input: string;
  moments: InputMoments;
  /** Images whose patches went into the spatial moment (at most SPATIAL_IMAGES). */
  spatialImages: number;
}

/**
 * Images the kernel x kernel moment is taken over: it has only (kh*kw)^2 entries, averaged over
 * every channel and position (64 images of ResNet-20's last stage: 262,144 patches), and its
 * im2col is most of the pass's JavaScript work. (Normalisation makes the image counts of the two moments irrelevant.)
 */
export const SPATIAL_IMAGES = 64;

/**
 * Input moments of `layers` (Conv with group 1 or factorized per group, Gemm, MatMul) of the
 * original `model` on the batches, in one run per batch. A layer whose input cannot be read this
 * way (Gemm with transA, a depthwise conv) is left out: its jobs fall back to the published
 * objective with the reason.
 */
export async function collectInputMoments(
  kernels: Kernels,
  model: OnnxModel,
  layers: readonly LayerInfo[],
  batches: readonly CalibrationBatch[],
  options: { signal?: AbortSignal; onProgress?: ProgressCallback; centre?: boolean } = {},
): Promise<Map<string, InputMoments>> {
  const nodes = model.graph.node ?? [];
  const accs: Accumulator[] = [];
  for (const layer of layers) {
    const node = nodes[layer.nodeIndex];
    const input = node?.input?.[0];
    // A grouped conv factorized per group: all Cin channels, each group takes its block.
    const grouped = layer.group > 1 && layer.op === 'Conv' && layer.factorizable;
    if (!input || (layer.group !== 1 && !grouped)) continue;
    if (layer.op === 'Gemm' && attrInt(node, 'transA', 0) === 1) continue;
    const transB = layer.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
    const channels =
      layer.op === 'Conv' || transB ? layer.weightShape[1] * layer.group : layer.weightShape[0];
    const kernel = layer.op === 'Conv' ? layer.weightShape.slice(2).reduce((p, d) => p * d, 1) : 1;
    accs.push({
      layer,
      input,
      moments: {
        images: 0,
        samples: 0,
        channels,
        channel: new Float64Array(channels * channels),
        channelSum: new Float64Array(channels),
        kernel,
        ...(kernel > 1 && { spatial: new Float64Array(kernel * kernel) }),
        inputMode: layer.op === 'Conv' || transB ? 1 : 0,
        ...(options.centre && { centre: true }),
      },
      spatialImages: 0,
    });
  }
  if (!accs.length || !batches.length) return new Map();
  const graphInputs = new Set((model.graph.input ?? []).map((v) => v.name));
  const exposed = [...new Set(accs.map((a) => a.input).filter((n) => !graphInputs.has(n)))];
  const session = await createSession(writeModel(withGraphOutputs(model, exposed)), {
    graphOptimizationLevel: 'disabled',
  });
  try {
    for (const [b, batch] of batches.entries()) {
      options.signal?.throwIfAborted();
      // Every graph input the batch carries (models with several inputs), else the first.
      const feeds = batchFeeds(batch, session.inputNames);
      const results = exposed.length ? await session.run(feeds, exposed) : {};
      try {
        for (const acc of accs) {
          const t = feeds[acc.input] ?? results[acc.input];
          if (t?.type !== 'float32') continue;
          accumulate(kernels, acc, t.data as Float32Array, [...t.dims]);
        }
      } finally {
        for (const t of Object.values(results)) t.dispose();
      }
      options.onProgress?.({
        status: 'input statistics',
        loaded: b + 1,
        total: batches.length,
        progress: (b + 1) / batches.length,
      });
    }
  } finally {
    await session.release();
  }
  return new Map(accs.filter((a) => a.moments.images > 0).map((a) => [a.layer.name, a.moments]));
}

function accumulate(kernels: Kernels, acc: Accumulator, x: Float32Array, dims: number[]): void {
  const m = acc.moments;
  const c = m.channels;
  if (acc.layer.op === 'Conv') {
    if (dims.length < 3 || dims[1] !== c) return;
    const [n] = dims;
    const positions = x.length / (n * c);
    // Channel-major over the whole batch (C x N*P), so that one product gives sum x x^T.
    const span = n * positions;
    const cm = new Float32Array(c * span);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        const src = (i * c + ch) * positions;
        cm.set(x.subarray(src, src + positions), ch * span + i * positions);
      }
    }
    const prod = new Float32Array(c * c);
    kernels.sgemm(false, true, c, c, span, 1, cm, span, cm, span, 0, prod, c);
    for (let k = 0; k < prod.length; k++) m.channel[k] += prod[k];
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let q = ch * span; q < (ch + 1) * span; q++) s += cm[q];
      m.channelSum![ch] += s;
    }
    for (let i = 0; i < n && m.spatial && acc.spatialImages < SPATIAL_IMAGES; i++) {
      const img = x.subarray(i * c * positions, (i + 1) * c * positions);
      accumulatePatches(kernels, acc.layer, img, dims.slice(1), m.spatial);
      acc.spatialImages++;
    }
    m.images += n;
    m.samples += n * positions;
    return;
  }
  // Gemm / MatMul: rows of the flattened input are the input vectors.
  if (dims.at(-1) !== c) return;
  const rows = x.length / c;
  const g = kernels.gram(x, rows, c);
  for (let k = 0; k < g.length; k++) m.channel[k] += g[k];
  for (let r = 0; r < rows; r++) for (let ch = 0; ch < c; ch++) m.channelSum![ch] += x[r * c + ch];
  m.images += dims.length > 1 ? dims[0] : 1;
  m.samples += rows;
}

// sum over channels and output positions of p p^T, p the kh x kw patch (zero padded) that the
// conv reads: an im2col of (channel, position) rows times itself, one product per image.
function accumulatePatches(
  kernels: Kernels,
  layer: LayerInfo,
  img: Float32Array,
  chw: number[],
  spatial: Float64Array,
): void {
  const [c, h, w] = chw;
  const [kh, kw] = layer.kernel.length === 2 ? layer.kernel : [layer.kernel[0] ?? 1, 1];
  if (chw.length !== 3 || kh * kw !== Math.sqrt(spatial.length)) return;
  const [sh, sw] = layer.strides.length === 2 ? layer.strides : [1, 1];
  const [dh, dw] = layer.dilations.length === 2 ? layer.dilations : [1, 1];
  const [pt, pl, pb, pr] = layer.pads.length === 4 ? layer.pads : [0, 0, 0, 0];
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  if (oh < 1 || ow < 1) return;
  const kk = kh * kw;
  const cols = new Float32Array(c * oh * ow * kk);
  let row = 0;
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        const o = row * kk;
        for (let a = 0; a < kh; a++) {
          const yi = y * sh - pt + a * dh;
          if (yi < 0 || yi >= h) continue;
          for (let b = 0; b < kw; b++) {
            const xi = xo * sw - pl + b * dw;
            if (xi >= 0 && xi < w) cols[o + a * kw + b] = img[base + yi * w + xi];
          }
        }
        row++;
      }
    }
  }
  const g = kernels.gram(cols, row, kk);
  for (let k = 0; k < g.length; k++) spatial[k] += g[k];
}
