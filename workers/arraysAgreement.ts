// "Evaluate" a run on the user's arrays (issue #12): without labelled images there is no
// accuracy, so the written model is compared with the original on the arrays (every output:
// top-1 agreement for class scores, pixel agreement for probability maps, rel. L2 and SQNR for
// the rest; src/core/eval/compareModels.ts). Samples that calibrated the run (activation ranges,
// calibration, data-aware statistics: the build's tensorCalibrationBatches takes them) are left
// out when others remain, as a part of the evaluation set set aside for calibration is.
import { APP_CALIBRATION_IMAGES } from '../src/core/calibrate/defaults.ts';
import { subsetIndices } from '../src/core/data/subset.ts';
import type { TensorSet } from '../src/core/data/tensors.ts';
import { compareModels } from '../src/core/eval/compareModels.ts';
import type { OutputKind } from '../src/core/eval/outputs.ts';
import type { RuntimeOptions } from '../src/core/eval/session.ts';
import type { ProgressCallback } from '../src/core/util/progress.ts';

export interface ArraysRequest {
  /** The written model; transferred. */
  model: ArrayBuffer;
  /** The original; transferred. */
  reference: ArrayBuffer;
  data: TensorSet;
  /** The run took calibration samples from these arrays (ranges, calibration or statistics). */
  calibratedOnArrays: boolean;
}

/** One output of the written model against the original's on the arrays. */
export interface OutputAgreement {
  name: string;
  kind: OutputKind;
  /** Top-1 agreement (class scores) or pixel agreement (probability maps); null otherwise. */
  agreement: number | null;
  relativeL2: number;
  /** Null when infinite (equal outputs) or undefined (an all-zero original). */
  sqnrDb: number | null;
  /** Both models hold this output at one value on these samples: no figure judges it. */
  constant: boolean;
}

export interface ArraysAgreement {
  /** The arrays' files, e.g. "features.npy". */
  source: string;
  samples: number;
  /** Which samples, e.g. "the 744 samples not used for calibration". */
  which: string;
  outputs: OutputAgreement[];
}

/** The samples the build's calibration on arrays takes (tensorCalibrationBatches' choice). */
function calibrationSamples(count: number): Set<number> {
  const n = Math.min(APP_CALIBRATION_IMAGES, count);
  return new Set(subsetIndices({ count, labels: null }, 'quick', n));
}

export async function compareOnArrays(
  request: ArraysRequest,
  runtime: RuntimeOptions,
  onProgress?: ProgressCallback,
  signal?: AbortSignal,
): Promise<ArraysAgreement> {
  const count = request.data.count;
  const used = request.calibratedOnArrays ? calibrationSamples(count) : new Set<number>();
  const rest = Array.from({ length: count }, (_, i) => i).filter((i) => !used.has(i));
  const indices = rest.length > 0 ? rest : Array.from({ length: count }, (_, i) => i);
  const n = indices.length.toLocaleString('en-US');
  const which =
    used.size === 0
      ? `all ${n} samples`
      : rest.length > 0
        ? `the ${n} samples not used for calibration`
        : `all ${n} samples, the same that calibrated the run (give more samples to keep some apart)`;
  const report = await compareModels({
    modelBytes: new Uint8Array(request.model),
    referenceBytes: new Uint8Array(request.reference),
    data: request.data,
    indices,
    runtime,
    onProgress,
    signal,
  });
  return {
    source: report.source,
    samples: report.samples,
    which,
    outputs: report.outputs.map((o) => ({
      name: o.name,
      kind: o.kind,
      agreement: o.pixelAgreement ?? o.top1Agreement,
      relativeL2: o.relativeL2,
      sqnrDb: Number.isFinite(o.sqnrDb) ? o.sqnrDb : null,
      constant: o.constantValue !== null,
    })),
  };
}
