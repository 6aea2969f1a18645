// "Factorized only where it is not slower" (issue #14 item 4): each factorized conv is timed
// alone at the model's shapes against the original conv (eval/layerLatency.ts), and those whose
// CP chain is slower are written back as one dense conv computed from their factors at load
// (rewrite/mergeFactors.ts): about the same file size, same outputs to float rounding, the original's
// kernel. Typical cases: strided layers (the first 1x1 runs at the input's full size) and
// small maps at batch 1, where three kernel launches cost more than the MACs saved. With 8-bit
// activations both are timed as such a model runs them: Q/DQ before every conv (inside the
// chain too), weights as DequantizeLinear; the original is then the float conv reading the
// quantized input, which is what a merged layer runs (its factors folded at load).
import { type LatencyTable, latencyKey } from '../cost/latencyTable.ts';
import { measureLatencyTable } from '../eval/layerLatency.ts';
import type { LayerResult } from '../factor/types.ts';
import { readModel, writeModel } from '../onnx/reader.ts';
import { mergeFactorizedConvs } from '../rewrite/mergeFactors.ts';
import { FLOAT_BITS } from '../util/units.ts';
import type { PreparedModel } from './prepare.ts';

export interface LatencyGuardSettings {
  /** Batch the layers are timed at (default 1: one request at a time). */
  batch?: number;
  /** Timed runs per form (default 30). */
  runs?: number;
  /** The clock in ms (default wall time; the CLI passes CPU time for one thread). */
  clock?: () => number;
  /**
   * Activation bits of the written model (default 32; compressModel passes its own). With 8 the
   * forms are timed with Q/DQ inputs, weights as DequantizeLinear: the kernels that model runs.
   */
  actBits?: number;
}

export interface SlowLayer {
  name: string;
  factorizedMs: number;
  originalMs: number;
}

/** Factorized 3-way convs whose chain is slower alone than the original conv alone. */
export async function slowerFactorizedLayers(
  prepared: PreparedModel,
  results: readonly LayerResult[],
  settings: LatencyGuardSettings = {},
): Promise<{ slower: SlowLayer[]; table: LatencyTable | null }> {
  const byName = new Map(prepared.layers.map((l) => [l.name, l]));
  const requests = results
    .filter((r) => r.factors.length === 3 && byName.get(r.name)?.op === 'Conv')
    .map((r) => ({ layer: byName.get(r.name)!, ranks: [r.rank], bits: [r.bits] }));
  const input = Object.values(prepared.inputShapes)[0];
  if (requests.length === 0 || !input) return { slower: [], table: null };
  const table = await measureLatencyTable(prepared.bytes, input, requests, {
    batch: settings.batch ?? 1,
    runs: settings.runs ?? 30,
    weightForm: 'load',
    actBits: settings.actBits,
    clock: settings.clock,
  });
  const byResult = new Map(results.map((r) => [r.name, r]));
  // 'float' is the merged layer's form: one conv, weights computed at load (with 8-bit
  // activations it reads the quantized input, as the merged conv does).
  const slower = table.layers
    .map((l) => {
      const r = byResult.get(l.name);
      const key = latencyKey({ rank: r?.rank ?? 0, bits: r?.bits }, settings.actBits);
      return {
        name: l.name,
        factorizedMs: l.ms[key] ?? Number.NaN,
        originalMs: l.ms.float ?? Number.NaN,
      };
    })
    .filter((l) => l.factorizedMs > l.originalMs);
  return { slower, table };
}

/** Writes the named factorized layers back as single convs; returns the bytes and a note. */
export function mergeSlowerLayers(
  prepared: PreparedModel,
  bytes: Uint8Array,
  slower: readonly SlowLayer[],
  factorized: number,
  batch: number,
  actBits: number = FLOAT_BITS,
): { bytes: Uint8Array; note: string } {
  const at = actBits < FLOAT_BITS ? ` with ${actBits}-bit activations` : '';
  const byName = new Map(prepared.layers.map((l) => [l.name, l]));
  const outputs = slower
    .map((s) => prepared.model.graph.node?.[byName.get(s.name)?.nodeIndex ?? -1]?.output?.[0])
    .filter((o): o is string => Boolean(o));
  if (factorized === 0) {
    return {
      bytes,
      note: 'latency guard: nothing to time: no compressed layer is a chain of 3 factor convs (the only form it merges back)',
    };
  }
  if (outputs.length === 0) {
    return {
      bytes,
      note: `latency guard: none of the ${factorized} factorized convs is slower alone than the original conv at batch ${batch}${at}`,
    };
  }
  const { model, merged } = mergeFactorizedConvs(readModel(bytes), outputs);
  const list = slower
    .map((s) => `${s.name} ${(s.factorizedMs / s.originalMs).toFixed(2)}x`)
    .join(', ');
  const written = writeModel(model);
  // The factors stay in the file; with 8-bit activations each merged layer adds its factors'
  // Cast + Mul (folded at load), a few hundred bytes.
  const grown = written.length - bytes.length;
  const size = grown === 0 ? 'same file size' : `file ${grown > 0 ? '+' : ''}${grown} bytes`;
  return {
    bytes: written,
    note:
      `latency guard: ${merged.length} of ${factorized} factorized convs were slower alone than the original conv at batch ${batch}${at} ` +
      `(${list}) and are written as one conv whose weight onnxruntime computes from the factors at load (${size})`,
  };
}

/** Times the factorized convs and merges the slower ones back (compressModel's step). */
export async function guardLatency(
  prepared: PreparedModel,
  results: readonly LayerResult[],
  bytes: Uint8Array,
  settings: LatencyGuardSettings,
): Promise<{ bytes: Uint8Array; note: string }> {
  const { slower } = await slowerFactorizedLayers(prepared, results, settings);
  const factorized = results.filter((r) => r.factors.length === 3).length;
  return mergeSlowerLayers(
    prepared,
    bytes,
    slower,
    factorized,
    settings.batch ?? 1,
    settings.actBits,
  );
}
