// Measured latency as a cost (issue #14 item 4, issue #15 item 2's "measured latency" budget).
// BOPs do not predict time in onnxruntime-web (docs/platform-notes.md: a QDQ depthwise conv was
// 7x slower than its float twin), so the table holds times measured in onnxruntime on
// single-layer models at the model's own shapes (src/core/eval/layerLatency.ts), per layer and
// per form the layer can take. The model's time is predicted as the sum of its layers' times
// plus the rest of the graph (activations, pooling, residual adds), which is the whole original
// model's measured time minus its layers' float times: an additive model, calibrated once on
// the whole model. Plain JSON, so the CLI can cache it and the solver can read it anywhere.

import { FLOAT_BITS } from '../util/units.ts';
import { containerBits } from './costModel.ts';

export const LATENCY_FORMAT = 'qaf.latency';
export const LATENCY_VERSION = 1;

/**
 * A layer's form, as far as time goes: the original float layer ('float'), the layer written
 * like every uncompressed layer ('keep': weights at the other bits), weight-only quantization
 * ('quantize'), or the factorized chain at a rank ('rank:R'). With float activations bits do
 * not enter: with weights dequantized at load the kernels are float32 whatever the code width.
 * With 8-bit activations the container does (onnxruntime-web 1.30, profiled): INT8 weights
 * fuse into QLinearConv where a QuantizeLinear follows the conv (inside a chain), INT4 weights
 * never do (DequantizeLinear on every run, then a float conv). So those tables time 'quantize'
 * and 'rank:R' with INT4 codes (2-4 bits) and, under ':int8', with INT8 codes (5-8 bits);
 * their 'float' is the float conv reading the quantized input, the form of a merged layer.
 */
export type LatencyKey =
  | 'float'
  | 'keep'
  | 'quantize'
  | `rank:${number}`
  | 'quantize:int8'
  | `rank:${number}:int8`;

/** The key of an option in a table timed at `actBits` (the code width matters only at 8). */
export function latencyKey(
  option: 'keep' | { rank: number; bits?: number },
  actBits: number = FLOAT_BITS,
): LatencyKey {
  if (option === 'keep') return 'keep';
  const base = option.rank > 0 ? (`rank:${option.rank}` as const) : 'quantize';
  const wide = actBits < FLOAT_BITS && containerBits(option.bits ?? 4) > 4;
  return wide ? `${base}:int8` : base;
}

/**
 * What to time for a layer whose options are `options` (a sensitivity table's): the ranks of
 * the factorized ones and the code widths of all the quantized ones.
 */
export function latencyForms(
  options: readonly { rank: number; option: 'keep' | { bits: number } }[],
): { ranks: number[]; bits: number[] } {
  const sorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  return {
    ranks: sorted(options.map((o) => o.rank).filter((r) => r > 0)),
    bits: sorted(options.flatMap((o) => (o.option === 'keep' ? [] : [o.option.bits]))),
  };
}

export interface LayerLatency {
  name: string;
  /** Median ms of one call of the layer alone, by form. */
  ms: Partial<Record<LatencyKey, number>>;
}

export interface LatencyTable {
  format: typeof LATENCY_FORMAT;
  version: number;
  /** e.g. 'onnxruntime-web 1.30.0 wasm'. */
  runtime: string;
  threads: number;
  batch: number;
  /** How the written model dequantizes its weights (src/core/rewrite/weightForm.ts). */
  weightForm: string;
  /**
   * Activation bits the layers were timed at: 8 (Q/DQ on every layer input, the integer kernels
   * onnxruntime picks for such a model) or absent for float activations (tables before it too).
   */
  actBits?: number;
  /** How the times were taken: 'wall', or 'cpu' (process CPU time; one thread, busy machines). */
  clock?: string;
  modelSha256?: string;
  /** The whole original model, measured in the same run (ms per call). */
  modelMs: number;
  /** modelMs minus the layers' float times (at least 0): what no layer choice changes. */
  restMs: number;
  layers: LayerLatency[];
  /** Load average when measured (noise: the machine may be shared). */
  loadAverage?: number;
}

/** A layer's time in a form, or a RangeError naming what was not measured. */
export function layerLatencyMs(table: LatencyTable, layer: string, key: LatencyKey): number {
  const entry = table.layers.find((l) => l.name === layer);
  const ms = entry?.ms[key];
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new RangeError(
      entry
        ? `latency table: layer ${layer} has no time for ${key} (measure it again with this menu)`
        : `latency table: no layer ${layer} (it was measured for another model or layer set)`,
    );
  }
  return ms;
}

/**
 * The model's predicted time when each layer takes the form `keys` names (layers the map leaves
 * out run as 'keep').
 */
export function predictedModelMs(
  table: LatencyTable,
  keys: ReadonlyMap<string, LatencyKey> | Record<string, LatencyKey>,
): number {
  const get = (n: string) =>
    keys instanceof Map ? keys.get(n) : (keys as Record<string, LatencyKey>)[n];
  return table.layers.reduce(
    (s, l) => s + layerLatencyMs(table, l.name, get(l.name) ?? 'keep'),
    table.restMs,
  );
}

/** What a JSON file must hold to be read as a latency table; a RangeError says what is wrong. */
export function checkLatencyTable(value: unknown): LatencyTable {
  const t = value as Partial<LatencyTable> | null;
  if (!t || t.format !== LATENCY_FORMAT) throw new RangeError('not a qaf latency table (format)');
  if (t.version !== LATENCY_VERSION)
    throw new RangeError(`latency table version ${t.version}, expected ${LATENCY_VERSION}`);
  if (!Array.isArray(t.layers) || !(Number(t.modelMs) > 0) || !(Number(t.restMs) >= 0))
    throw new RangeError('latency table: layers, modelMs or restMs missing');
  if (t.actBits !== undefined && t.actBits !== 8 && t.actBits !== FLOAT_BITS)
    throw new RangeError(`latency table: activation bits ${t.actBits} (8 or 32 are timed)`);
  return t as LatencyTable;
}
