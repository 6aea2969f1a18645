// Plain-data shapes of a sweep: the grid of configurations, one row per evaluated point.
import type { MethodId } from '../factor/methods/index.ts';
import type { ProgressCallback } from '../util/progress.ts';

/** A method of the registry (src/core/factor/methods), or 'float' for the uncompressed model. */
export type SweepMethod = 'float' | MethodId;

/** One configuration of the grid. */
export interface SweepPoint {
  method: SweepMethod;
  /** Parameter-reduction rate of the factorized layers; null where nothing is factorized. */
  rate: number | null;
  /** Weight bits of the compressed layers; 32 for float weights (float model, float CP). */
  bits: number;
  /** Activation bits; null for float activations. */
  actBits: number | null;
  /** Per-channel output-statistics calibration applied after compression. */
  calibrated: boolean;
}

/** What evaluating one point measures. */
export interface SweepMeasurement {
  /** Top-1 accuracy in [0, 1]. */
  accuracy: number;
  /** Fraction of images where the compressed model's top-1 equals the float model's. */
  agreement: number;
  bopPercent: number;
  sizeBytes: number;
  latencyMs: number;
  /** Mean relative weight error ||W - W_hat|| / ||W|| over the compressed layers (0 for float). */
  meanError: number;
  images: number;
}

export interface SweepRow extends SweepPoint, SweepMeasurement {
  /** True when the row came from the cache instead of a fresh evaluation. */
  cached: boolean;
}

export interface SweepGridSpec {
  /** Factorizing methods (admm, ftq, cp) run at every rate; ptq runs once per bit width. */
  methods: SweepMethod[];
  rates: number[];
  bits: number[];
  /** Activation-bit variants; null means float activations. Default [null]. */
  actBits?: (number | null)[];
  /** Add the calibrated twin of every compressed point. Default true. */
  calibration?: boolean;
  /** Also add quantization-only (ptq) at every bit width. Default true. */
  quantizationOnly?: boolean;
  /** Add the float model. Default true. */
  includeFloat?: boolean;
}

/** Everything besides the point that changes a result, hashed into the cache key. */
export interface SweepContext {
  modelHash: string;
  dataHash: string;
  /** Calibration data hash, image counts, layer selection, preset, seed ... */
  settings: Record<string, unknown>;
}

/** A pluggable key-value store: Map in memory, IndexedDB in the app, a JSON file in the CLI. */
export interface SweepCache {
  get(key: string): Promise<SweepMeasurement | undefined>;
  set(key: string, value: SweepMeasurement): Promise<void>;
}

export type SweepEvaluator = (point: SweepPoint, signal?: AbortSignal) => Promise<SweepMeasurement>;

export interface RunSweepOptions {
  points: SweepPoint[];
  context: SweepContext;
  evaluate: SweepEvaluator;
  cache?: SweepCache;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Called after each point, fresh or cached, e.g. to print a table row as it comes. */
  onRow?: (row: SweepRow) => void;
}
