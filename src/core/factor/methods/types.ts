// What a compression method is, as the registry (./index.ts) lists it. Everything a shell needs
// to offer a method (labels, which layers and bits it takes, how it is costed) sits beside the
// code that runs it, so adding a method is one file here and one line in the registry.
import type { Kernels } from '../../kernels/types.ts';
import type { CompressJob, LayerProgress, LayerResult } from '../types.ts';

/** Reports one layer's progress; the value is clamped to be monotonic by compressLayer. */
export type LayerReport = (
  status: LayerProgress['status'],
  step: number,
  error: number,
  progress: number,
) => void;

export interface MethodRunContext {
  report: LayerReport;
  /** Polled between iterations; true ends the layer early with what it has. */
  shouldStop?: () => boolean;
}

/** The two layer facts a method's capability depends on (LayerInfo has both). */
export interface LayerTraits {
  factorizable: boolean;
  group: number;
}

export interface MethodSpec<Id extends string = string> {
  id: Id;
  /** Full name for panels and reports, e.g. "QAF (ADMM)". */
  label: string;
  /** Short name for chart legends and tables. */
  shortLabel: string;
  /** One line for `--help`. */
  summary: string;
  /** Chart colour (one per method; shape and fill say bits and calibration). */
  color: string;
  /** The layer becomes CP factors whose rank comes from a rate or an explicit rank. */
  factorizes: boolean;
  /** Weights become integer codes on a grid of `bits` bits (cost model: weight bits = bits). */
  quantizes: boolean;
  /** Weight bits the method takes, or null when it ignores bits (float CP). */
  bits: { min: number; max: number } | null;
  /**
   * Seconds to compress a ResNet-20-sized model's 18 block convs on one core (measured for the
   * demo's sweep, 2026-11-28): the app's sweep time estimate scales it by parameters.
   */
  estimateSeconds: number;
  /** Whether the method applies to a layer; the default selection of every shell. */
  appliesTo(layer: LayerTraits): boolean;
  /** Compresses one validated job; `ms` is added by compressLayer. */
  compress(kernels: Kernels, job: CompressJob, ctx: MethodRunContext): Omit<LayerResult, 'ms'>;
}

/** The fields every result starts with. */
export function resultHeader(job: CompressJob, rank: number) {
  return { name: job.name, method: job.method, rank, bits: job.bits, shape: [...job.shape] };
}
