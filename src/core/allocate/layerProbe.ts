// One layer's probe: the original's tensors around the layer captured once (prefix run), then
// any replacement weight measured with two small runs, the layer alone and the suffix after it
// (layerCut.ts). Calibration after compression is applied here as the pipeline applies it to a
// lone compressed layer: per output channel, match the original's mean and spread on the same
// images (its upstream is the original, so the pipeline's sequential pass reduces to this).
import * as ort from 'onnxruntime-web/wasm';
import { type AffineOptions, channelAffine } from '../calibrate/affine.ts';
import {
  accumulateChannelStats,
  type ChannelStats,
  createChannelStats,
} from '../calibrate/channelStats.ts';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import { countAgreement, klDivergenceSum, toProbabilities } from '../eval/metrics.ts';
import { createSession } from '../eval/session.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import { writeModel } from '../onnx/reader.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { formatBytes } from '../util/textFormat.ts';
import { cutAtLayer, type LayerCut } from './layerCut.ts';

interface Tensor {
  data: Float32Array;
  dims: number[];
}

/** Activations one layer's probe may hold (captures and one option's outputs). */
export const DEFAULT_MAX_CAPTURE_BYTES = 1024 * 2 ** 20;

/** The original model's scores on every batch, the reference every option is compared with. */
export interface ReferenceScores {
  scores: Float32Array[];
  probabilities: Float64Array[];
  classes: number;
  images: number;
}

export interface ProbeMeasurement {
  outputError: number;
  scoreError: number;
  kl: number;
  agreement: number;
}

async function run(
  session: ort.InferenceSession,
  feeds: Record<string, Tensor>,
  names: readonly string[],
): Promise<Tensor[]> {
  const inputs: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    inputs[name] = new ort.Tensor('float32', t.data, t.dims);
  }
  const results = await session.run(inputs, [...names]);
  try {
    return names.map((name) => {
      const out = results[name];
      if (out?.type !== 'float32') {
        throw new Error(`sensitivity: tensor '${name}' is ${out?.type ?? 'missing'}, not float32`);
      }
      // A copy: the runtime may reuse its output buffers.
      return { data: (out.data as Float32Array).slice(), dims: [...out.dims] };
    });
  } finally {
    for (const t of Object.values(results)) t.dispose();
  }
}

/** Runs the original model once over the batches: the reference scores. */
export async function referenceScores(
  modelBytes: Uint8Array,
  batches: readonly CalibrationBatch[],
  signal?: AbortSignal,
): Promise<ReferenceScores> {
  const session = await createSession(modelBytes);
  try {
    const scores: Float32Array[] = [];
    const probabilities: Float64Array[] = [];
    let classes = 0;
    for (const batch of batches) {
      signal?.throwIfAborted();
      const input = session.inputNames[0];
      const [out] = await run(session, { [input]: batch }, [session.outputNames[0]]);
      classes = out.data.length / batch.dims[0];
      scores.push(out.data);
      probabilities.push(toProbabilities(out.data, batch.dims[0], classes));
    }
    const images = batches.reduce((n, b) => n + b.dims[0], 0);
    return { scores, probabilities, classes, images };
  } finally {
    await session.release();
  }
}

/** Output statistics are matched per channel for convs and 2-D dense outputs, as calibration does. */
function calibratable(layer: LayerInfo, dims: readonly number[]): boolean {
  return layer.op === 'Conv' ? dims.length >= 3 : dims.length === 2;
}

export class LayerProbe {
  private constructor(
    readonly layer: LayerInfo,
    private readonly cut: LayerCut,
    private readonly captures: Map<string, Tensor>[],
    private readonly refStats: ChannelStats,
    private readonly refSquares: number,
    private readonly layerSession: ort.InferenceSession,
    private readonly suffixSession: ort.InferenceSession | null,
    private readonly reference: ReferenceScores,
  ) {}

  /** Captures the tensors around `layer` on every batch and opens the two small sessions. */
  static async open(
    model: OnnxModel,
    layer: LayerInfo,
    batches: readonly CalibrationBatch[],
    reference: ReferenceScores,
    options: { maxBytes?: number; signal?: AbortSignal } = {},
  ): Promise<LayerProbe> {
    const cut = cutAtLayer(model, layer);
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_CAPTURE_BYTES;
    const captures = await capture(cut, layer.name, batches, maxBytes, options.signal);
    const refStats = createChannelStats(captures[0].get(cut.output)!.dims[1] ?? 1);
    let refSquares = 0;
    for (const c of captures) {
      const y = c.get(cut.output)!;
      accumulateChannelStats(refStats, y.data, y.dims);
      for (const v of y.data) refSquares += v * v;
    }
    const layerSession = await createSession(writeModel(cut.layer));
    const suffixSession = cut.suffix ? await createSession(writeModel(cut.suffix)) : null;
    return new LayerProbe(
      layer,
      cut,
      captures,
      refStats,
      refSquares,
      layerSession,
      suffixSession,
      reference,
    );
  }

  get reachesScores(): boolean {
    return this.cut.reachesScores;
  }

  /** What replacing the layer's weight by `weight` (same shape) does, calibrated or not. */
  async measure(
    weight: Float32Array,
    calibrate: boolean,
    affineOptions?: AffineOptions,
    signal?: AbortSignal,
  ): Promise<ProbeMeasurement> {
    const { cut, layer } = this;
    const outputs: Tensor[] = [];
    const stats = createChannelStats(this.refStats.channels);
    for (const c of this.captures) {
      signal?.throwIfAborted();
      const feeds = {
        [cut.input]: c.get(cut.input)!,
        [layer.weightName]: { data: weight, dims: layer.weightShape },
      };
      const [y] = await run(this.layerSession, feeds, [cut.output]);
      accumulateChannelStats(stats, y.data, y.dims);
      outputs.push(y);
    }
    if (calibrate && calibratable(layer, outputs[0].dims)) {
      const affine = channelAffine(this.refStats, stats, affineOptions);
      for (const y of outputs) applyAffine(y, affine.gain, affine.shift);
    }
    let squares = 0;
    outputs.forEach((y, b) => {
      const ref = this.captures[b].get(cut.output)!.data;
      for (let i = 0; i < y.data.length; i++) squares += (y.data[i] - ref[i]) ** 2;
    });
    const scores = await this.scoresAgainstReference(outputs, signal);
    return { outputError: Math.sqrt(squares / Math.max(this.refSquares, 1e-30)), ...scores };
  }

  private async scoresAgainstReference(outputs: Tensor[], signal?: AbortSignal) {
    const { reference, cut } = this;
    let klSum = 0;
    let agreed = 0;
    let errorSquares = 0;
    let refSquares = 0;
    for (let b = 0; b < outputs.length; b++) {
      signal?.throwIfAborted();
      const refScores = reference.scores[b];
      const rows = refScores.length / reference.classes;
      let scores: Float32Array;
      if (!cut.reachesScores) scores = refScores;
      else if (!this.suffixSession) scores = outputs[b].data;
      else {
        const feeds: Record<string, Tensor> = { [cut.output]: outputs[b] };
        for (const name of cut.frontier) feeds[name] = this.captures[b].get(name)!;
        [{ data: scores }] = await run(this.suffixSession, feeds, [cut.scores]);
      }
      const q = toProbabilities(scores, rows, reference.classes);
      klSum += klDivergenceSum(reference.probabilities[b], q, rows, reference.classes);
      agreed += countAgreement(scores, refScores, rows, reference.classes);
      for (let i = 0; i < refScores.length; i++) {
        errorSquares += (scores[i] - refScores[i]) ** 2;
        refSquares += refScores[i] ** 2;
      }
    }
    return {
      kl: klSum / reference.images,
      agreement: agreed / reference.images,
      scoreError: Math.sqrt(errorSquares / Math.max(refSquares, 1e-30)),
    };
  }

  async close(): Promise<void> {
    await this.layerSession.release();
    await this.suffixSession?.release();
  }
}

/** Per batch, the prefix's tensors (the layer's input and output and the frontier) by name. */
async function capture(
  cut: LayerCut,
  layer: string,
  batches: readonly CalibrationBatch[],
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Map<string, Tensor>[]> {
  const session = cut.prefix ? await createSession(writeModel(cut.prefix)) : null;
  try {
    const out: Map<string, Tensor>[] = [];
    for (const batch of batches) {
      signal?.throwIfAborted();
      const tensors = new Map<string, Tensor>([[cut.imageInput, batch]]);
      if (session) {
        const values = await run(session, { [cut.imageInput]: batch }, cut.prefixOutputs);
        for (const [i, name] of cut.prefixOutputs.entries()) tensors.set(name, values[i]);
      }
      out.push(tensors);
      if (out.length === 1) checkMemory(tensors, cut, layer, batches, maxBytes);
    }
    return out;
  } finally {
    await session?.release();
  }
}

/**
 * The captures, plus one option's layer outputs, stay in memory for the whole layer: refuse
 * up front, with a way out, what would not fit (a big model on many images in a browser tab).
 */
function checkMemory(
  first: Map<string, Tensor>,
  cut: LayerCut,
  layer: string,
  batches: readonly CalibrationBatch[],
  maxBytes: number,
): void {
  let perBatch = first.get(cut.output)!.data.byteLength;
  for (const t of first.values()) perBatch += t.data.byteLength;
  const images = batches.reduce((n, b) => n + b.dims[0], 0);
  const bytes = (perBatch * images) / batches[0].dims[0];
  if (bytes > maxBytes) {
    throw new RangeError(
      `sensitivity: layer ${layer} needs about ${formatBytes(bytes)} of activations for ${images} images ` +
        `(limit ${formatBytes(maxBytes)}): measure on fewer images`,
    );
  }
}

/** y[n, c, ...] = gain[c] * y + shift[c], in place. */
function applyAffine(y: Tensor, gain: Float32Array, shift: Float32Array): void {
  const [batch, channels] = y.dims;
  const spatial = y.data.length / (batch * channels);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const base = (n * channels + c) * spatial;
      for (let s = 0; s < spatial; s++) y.data[base + s] = gain[c] * y.data[base + s] + shift[c];
    }
  }
}
