// Sequential calibration from cached activations (the plan is cutPlan.ts): each step runs only
// the nodes between the previous cut and the next layer, fed per batch with the tensors earlier
// steps left at the cut, so the whole calibration costs about one network pass instead of one
// truncated pass per layer. A layer's correction is folded into its weight scale and bias; later
// steps read its cached output through the same per-channel affine (a Mul and an Add in their
// graph), so they see the corrected layer. The statistics are those of re-running from the input
// up to float rounding: a_c * conv(x, W) + t_c here against conv(x, a_c * W) + t_c in the folded
// model. A layer output later steps read comes out anyway, and its statistics are taken from it
// in JavaScript as before; the last layer's are reduced in the graph, in float64 (graphMoments.ts).
import * as ort from 'onnxruntime-web/wasm';
import { createSession } from '../eval/session.ts';
import { writeModel } from '../onnx/reader.ts';
import type { OnnxModel } from '../onnx/types.ts';
import { type AffineOptions, affineDistance, channelAffine } from './affine.ts';
import { channelLastWidths } from './channelAxis.ts';
import type { ChannelStats } from './channelStats.ts';
import type { CutPlan } from './cutPlan.ts';
import { foldIntoGraph } from './graphEdit.ts';
import { accumulateMoments, momentFetches } from './graphMoments.ts';
import { accumulateTensor, type CalibrationBatch } from './outputStats.ts';
import {
  type Cache,
  type Corrections,
  feedName,
  type StepContext,
  stepModel,
} from './stepGraph.ts';

export interface CutRunOptions {
  affine?: AffineOptions;
  signal?: AbortSignal;
  onBatch?: () => void;
}

export interface CutRunResult {
  /** Worst |a_c - 1| per step. */
  gainDistance: number[];
  /** Most bytes the cache held at once (all batches of the tensors live across a cut). */
  peakCacheBytes: number;
  /** Nodes run per image over all steps, over the data-flow nodes up to the last layer (1). */
  networkPasses: number;
}

/**
 * Calibrates `model` in place (its graph gets every layer's correction), one plan step per
 * layer in order, against `referenceStats` of the original model.
 */
export async function calibrateFromCuts(
  model: OnnxModel,
  plan: CutPlan,
  batches: readonly CalibrationBatch[],
  referenceStats: Map<string, ChannelStats>,
  options: CutRunOptions = {},
): Promise<CutRunResult> {
  const cache: Cache = new Map();
  const corrections: Corrections = new Map();
  const bytes = { now: 0, peak: 0 };
  const gainDistance: number[] = [];
  for (const step of plan.steps) {
    const measured = await runStep(
      model,
      { plan, step, cache, corrections },
      batches,
      bytes,
      options,
    );
    const affine = channelAffine(referenceStats.get(step.layer)!, measured, options.affine);
    gainDistance.push(affineDistance(affine));
    foldIntoGraph(model.graph, step.layer, affine);
    if (step.keep.includes(step.layer)) corrections.set(step.layer, affine);
  }
  return { gainDistance, peakCacheBytes: bytes.peak, networkPasses: 1 };
}

/** One step over every batch: the layer's statistics; the cut's tensors cached, spent ones freed. */
async function runStep(
  model: OnnxModel,
  at: StepContext,
  batches: readonly CalibrationBatch[],
  bytes: { now: number; peak: number },
  options: CutRunOptions,
): Promise<ChannelStats> {
  const { step, cache } = at;
  // A layer output the next steps read comes out anyway: its statistics are taken from it here,
  // in float64 as before; only the last layer's are reduced in the graph.
  const fetched = step.keep.includes(step.layer);
  const lastAxis = channelLastWidths(model.graph, [step.layer]).get(step.layer);
  const { model: sub, moments } = stepModel(model, at, !fetched);
  const session = await createSession(writeModel(sub));
  const stats = new Map<string, ChannelStats>();
  const fetches = [...(moments ? momentFetches(moments) : []), ...step.keep];
  try {
    for (let b = 0; b < batches.length; b++) {
      options.signal?.throwIfAborted();
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of step.inputs) feeds[feedName(name, at)] = feedOf(name, b, batches, at);
      const results = await session.run(feeds, fetches);
      try {
        if (moments) accumulateMoments(stats, step.layer, moments, results);
        else accumulateTensor(stats, step.layer, results[step.layer], lastAxis);
        for (const name of step.keep) {
          const t = results[name];
          const list = cache.get(name) ?? new Array(batches.length);
          list[b] = { type: t.type, dims: t.dims, data: t.data as ort.Tensor.DataType };
          cache.set(name, list);
          bytes.now += byteLength(t.data);
        }
      } finally {
        for (const t of Object.values(results)) t.dispose();
      }
      bytes.peak = Math.max(bytes.peak, bytes.now);
      // This batch's copy is freed now, not after the step: the peak stays one cut's tensors.
      for (const name of step.release) {
        const list = cache.get(name)!;
        bytes.now -= byteLength(list[b]!.data);
        list[b] = undefined;
      }
      options.onBatch?.();
    }
  } finally {
    await session.release();
  }
  for (const name of step.release) cache.delete(name);
  const measured = stats.get(step.layer);
  if (!measured) throw new Error('calibration needs at least one batch of images');
  return measured;
}

function feedOf(
  name: string,
  b: number,
  batches: readonly CalibrationBatch[],
  { plan, cache }: StepContext,
): ort.Tensor {
  if (plan.graphInputs.includes(name)) {
    const input = batches[b].inputs?.[name];
    if (input) return new ort.Tensor(input.type, input.data as never, input.dims);
    return new ort.Tensor('float32', batches[b].data, batches[b].dims);
  }
  const cached = cache.get(name)?.[b];
  if (!cached) throw new Error(`calibration: tensor '${name}' was not cached for batch ${b}`);
  return new ort.Tensor(cached.type, cached.data as never, cached.dims);
}

function byteLength(data: unknown): number {
  return ArrayBuffer.isView(data) ? data.byteLength : 0;
}
