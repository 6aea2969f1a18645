// Plain-data shapes shared by the engine, the worker bridge and the CLI. Everything here is
// structured-clone friendly so a job or a result can cross a worker boundary unchanged.

import type { InputMoments } from './inputMoments.ts';
import type { MethodId } from './methods/index.ts';

/** A method of the registry (./methods/index.ts). */
export type CompressMethod = MethodId;
export type AdmmPresetName = 'default' | 'published';
/**
 * QAF's objective: 'published' weighs every weight error the same (the paper); 'data' weighs it
 * by the layer input's second moment, i.e. minimises the output error (docs/data-aware-qaf.md).
 */
export type QafObjective = 'published' | 'data';
/**
 * QAF's grid scales: 'factor' one per factor matrix (the paper; per-tensor DequantizeLinear),
 * 'component' one per rank-1 column of each factor (per-axis DequantizeLinear when written).
 */
export type QafScales = 'factor' | 'component';
/**
 * The scales a QAF job gets when it names none: per component, which lowers the error of every
 * ResNet-20 block conv and gains top-1 (docs/component-scales.md); 'factor' stays for runtimes
 * without per-axis DequantizeLinear.
 */
export const DEFAULT_QAF_SCALES: QafScales = 'component';

export interface CompressJob {
  name: string;
  /** Row-major weight: Conv [Cout, Cin, kh, kw] or 2-way [I, J]. */
  weight: Float32Array;
  shape: number[];
  method: CompressMethod;
  /** Explicit CP rank; wins over `rate`. */
  rank?: number;
  /** Parameter-reduction rate; the rank follows from it (method doc, "Rank"). */
  rate?: number;
  bits: number;
  preset?: AdmmPresetName;
  seed?: number;
  /** PTQ only: one scale per output channel instead of one per tensor. */
  perChannel?: boolean;
  /** QAF only: default 'published'. */
  objective?: QafObjective;
  /** QAF with objective 'data': the layer's input statistics (absent: published, with a warning). */
  inputMoments?: InputMoments;
  /** QAF only (both objectives): default DEFAULT_QAF_SCALES. */
  scales?: QafScales;
  /**
   * A grouped conv ([Cout, Cin/groups, k...]) for a factorizing method: each group's weight
   * [Cout/groups, Cin/groups, k...] is factorized alone at one rank (compressLayer.ts).
   */
  groups?: number;
}

export interface FactorResult {
  rows: number;
  cols: number;
  /** Integer grid codes; absent for float CP. */
  codes?: Int8Array;
  /** One scale per factor matrix (absent for float CP and per-channel PTQ). */
  scale?: number;
  /** Per-output-channel scales (per-channel PTQ only). */
  scales?: Float32Array;
  /** One scale per column, i.e. per rank-1 component (QAF with scales 'component'). */
  columnScales?: Float32Array;
  /** The values the compressed layer really uses (scale * code, or the float factor). */
  values: Float32Array;
}

export interface LayerResult {
  name: string;
  method: CompressMethod;
  /** CP rank (0 for PTQ, which does not factorize). */
  rank: number;
  bits: number;
  shape: number[];
  /** A: I x R, B: J x R, C: K x R (row-major); for PTQ one "factor" holding the whole weight. */
  factors: FactorResult[];
  /** Relative error of the float CP at this rank (NaN for PTQ). */
  floatCpError: number;
  /** Relative error ||W - W_hat||_F / ||W||_F of what the compressed layer computes. */
  error: number;
  iterations: number;
  errorHistory: number[];
  ms: number;
  /** QAF: the objective the factors were solved for ('data' only when the statistics held). */
  objective?: QafObjective;
  /** Data-aware QAF: the relative output error on the calibration inputs' statistics. */
  outputError?: number;
  /** Why the layer ran otherwise than asked (a data-aware job on too few images). */
  warning?: string;
  /**
   * A grouped conv factorized per group: one result per group (same rank), in order; then
   * `factors` is empty and `rank` is each group's rank.
   */
  groups?: LayerResult[];
}

export type LayerStatus = 'queued' | 'init' | 'running' | 'done' | 'error';

export interface LayerProgress {
  layer: string;
  status: LayerStatus;
  outerStep: number;
  /** Latest relative error (NaN before the first one is known). */
  error: number;
  /** 0..1, monotonic, 1 when done. */
  progress: number;
}

/**
 * A factor matrix (rows x rank, row-major) on a symmetric b-bit grid: values[i] === scale *
 * codes[i], or with per-component scales values[i * rank + r] === columnScales[r] * codes[...]
 * (then `scale` is NaN).
 */
export interface GridFactor {
  codes: Int8Array;
  scale: number;
  values: Float32Array;
  columnScales?: Float32Array;
}
