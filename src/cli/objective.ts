// `qaf compress --qaf-objective published|data`: QAF's objective (docs/data-aware-qaf.md). The
// data-aware one needs the input statistics of the layers, collected here from the images of
// --calibration-data before any layer is solved (the same images then calibrate the model).
import { collectInputMoments } from '../core/calibrate/inputMoments.ts';
import type { InputMoments } from '../core/factor/inputMoments.ts';
import {
  type Allocation,
  allocationJobs,
  allocationWantsInputMoments,
} from '../core/factor/modelJobs.ts';
import type { QafObjective } from '../core/factor/types.ts';
import type { Kernels } from '../core/kernels/types.ts';
import type { PreparedModel } from '../core/pipeline/index.ts';
import type { OutputArgs } from './compressOutput.ts';
import { calibrationBatchesFromFile } from './inputArrays.ts';
import { UsageError } from './util.ts';

// Not --objective: that is the budget solver's (allocationFlag.ts).
export const objectiveOption = { 'qaf-objective': { type: 'string' } } as const;

export const objectiveUsage = `  --qaf-objective O  admm: data (the default with -o --calibration-data: the layers' output
                   error on those images) or published (every weight error weighs the same, the
                   paper; the default without calibration images)`;

/** The objective flag; undefined when absent. */
export function parseObjective(values: Record<string, unknown>): QafObjective | undefined {
  const given = values['qaf-objective'] as string | undefined;
  if (given === undefined) return undefined;
  if (given !== 'published' && given !== 'data') {
    throw new UsageError(`compress: --qaf-objective must be published or data, got "${given}"`);
  }
  return given;
}

/**
 * Input statistics for the QAF layers of `allocation` that can use them; null when none can, or
 * when no calibration images were given and none asked for the data-aware objective explicitly.
 */
export async function cliInputMoments(
  kernels: Kernels,
  prepared: PreparedModel,
  allocation: Allocation,
  output: OutputArgs | null,
  log?: (line: string) => void,
): Promise<Map<string, InputMoments> | null> {
  if (!allocationWantsInputMoments(allocation)) return null;
  const calibration = output?.calibration;
  if (!calibration && !asksForData(allocation)) return null;
  if (!calibration) {
    throw new UsageError(
      'compress: --qaf-objective data needs calibration images: -o OUT.onnx --calibration-data FILE',
    );
  }
  // Images or the model's input arrays (.npy/.npz), as the calibration after compression reads them.
  const batches = await calibrationBatchesFromFile(
    calibration.file,
    calibration.format,
    prepared.model,
    calibration.images,
    output.limits,
  );
  const names = new Set(
    allocationJobs(prepared.model, prepared.layers, allocation).map((j) => j.name),
  );
  const layers = prepared.layers.filter((l) => names.has(l.name));
  const images = batches.reduce((n, b) => n + b.dims[0], 0);
  log?.(`input statistics of ${layers.length} layers on ${images} calibration images ...`);
  // -o with --calibration-data calibrates after compression: the channel moment is centred.
  try {
    return await collectInputMoments(kernels, prepared.model, layers, batches, { centre: true });
  } catch (e) {
    if (asksForData(allocation)) throw e;
    log?.(`input statistics not taken (${(e as Error).message}): published objective`);
    return null;
  }
}

function asksForData(allocation: Allocation): boolean {
  const overrides = Object.values(allocation.overrides ?? {});
  return [allocation.settings, ...overrides].some((s) => s !== 'keep' && s.objective === 'data');
}
