// Data-aware QAF in the pipeline: the input statistics of the layers whose jobs want them,
// collected from the calibration images in one pass over the original model (or given by the
// caller, e.g. a sweep that reuses them), attached to those jobs; and the layers that fell back
// to the published objective, said in the report in words a user can act on.
import { collectInputMoments } from '../calibrate/inputMoments.ts';
import type { CalibrationBatch } from '../calibrate/outputStats.ts';
import type { InputMoments } from '../factor/inputMoments.ts';
import { wantsInputMoments } from '../factor/modelJobs.ts';
import type { CompressJob, LayerResult } from '../factor/types.ts';
import { jsKernels } from '../kernels/index.ts';
import type { Kernels } from '../kernels/types.ts';
import type { ProgressCallback } from '../util/progress.ts';
import type { PreparedModel } from './prepare.ts';

export interface MomentSources {
  prepared: PreparedModel;
  kernels?: Kernels;
  /** Statistics computed elsewhere, by layer name; wins over collecting them. */
  inputMoments?: ReadonlyMap<string, InputMoments>;
  batches?: readonly CalibrationBatch[] | null;
  /** Whether the model is calibrated after compression (then the channel moment is centred). */
  calibrated?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** The jobs, data-aware ones with their layer's input statistics where they can be had. */
export async function withInputMoments(
  jobs: CompressJob[],
  sources: MomentSources,
): Promise<CompressJob[]> {
  const wanted = jobs.filter((j) => wantsInputMoments(j) && !j.inputMoments);
  if (!wanted.length) return jobs;
  let moments = sources.inputMoments;
  if (!moments && sources.batches?.length) {
    const names = new Set(wanted.map((j) => j.name));
    const layers = sources.prepared.layers.filter((l) => names.has(l.name));
    try {
      moments = await collectInputMoments(
        sources.kernels ?? jsKernels,
        sources.prepared.model,
        layers,
        sources.batches,
        { signal: sources.signal, onProgress: sources.onProgress, centre: sources.calibrated },
      );
    } catch (e) {
      // A model the one-input statistics run cannot feed (several graph inputs): the published
      // objective, said on every layer that asked for the data-aware one (jobObjective).
      if (sources.signal?.aborted) throw e;
      moments = new Map();
    }
  }
  return jobs.map((j) => {
    const m = wantsInputMoments(j) && !j.inputMoments ? moments?.get(j.name) : undefined;
    return m ? { ...j, inputMoments: m } : j;
  });
}

/** One report note for the layers that did not get the objective they asked for. */
export function objectiveNotes(results: readonly LayerResult[]): string[] {
  const fell = results.filter((r) => r.warning);
  if (!fell.length) return [];
  const first = fell[0].warning!;
  const more = fell.length > 1 ? ` (and ${fell.length - 1} more layers)` : '';
  return [`${fell[0].name}${more}: ${first}; give at least 16 calibration images to use it`];
}
