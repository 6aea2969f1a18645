// The one cost model used by the app (what-if costs while a slider moves), the CLI and the
// tests. Inputs are plain objects shaped like the ONNX layer discovery's LayerInfo plus the
// compression choice per layer; nothing here touches tensors, so it is cheap on the main thread.
// Formulas: docs/qaf-method.md, "Cost model" and "The compressed layer".

import { METHODS, type MethodId } from '../factor/methods/index.ts';
import { DEFAULT_QAF_SCALES, type QafScales } from '../factor/types.ts';
import { groupCpDims, rankFromRate } from '../util/rank.ts';
import { FLOAT_BITS } from '../util/units.ts';

export { FLOAT_BITS };

/** A method of the registry, or 'none' for a layer left as it is. */
export type CostMethod = MethodId | 'none';

/** A tensor dimension: a number, or a symbolic name such as "batch". */
export type Dim = number | string;

/** The subset of the ONNX layer discovery's LayerInfo the costs depend on. */
export interface CostLayer {
  name: string;
  op: string;
  /** Conv [Cout, Cin/group, kh, kw]; Gemm/MatMul the weight as stored (2-D). */
  weightShape: readonly number[];
  /** Output shape with batch first (NCHW for Conv, [N, ..., out] for Gemm/MatMul). */
  outputShape?: readonly Dim[];
  /** Input shape with batch first; only the spatial size of a factorized Conv uses it. */
  inputShape?: readonly Dim[];
  /** Dense MACs of one sample (batch 1); null (unknown dims) makes the costs NaN. */
  macs: number | null;
  group?: number;
}

/** What is done to one layer; absent layers are left alone ('none'). */
export interface LayerChoice {
  method: CostMethod;
  /** CP rank; required for factorizing methods (admm, ftq, cp). */
  rank?: number;
  /** Weight bits of the codes (ignored for 'cp' and 'none'). */
  bits?: number;
  /**
   * Factor count when known from a result: 3 keeps a 1x1 conv 3-way (K = 1, with a depthwise
   * 1x1 stage) as an engine may factorize it; default 2 for 1x1 convs and Gemm/MatMul.
   */
  modes?: 2 | 3;
  /**
   * QAF's grid scales: 'factor' one per factor matrix, 'component' one per rank-1 component
   * (scaleBytes); absent: the engine's default (DEFAULT_QAF_SCALES).
   */
  scales?: QafScales;
  /** PTQ: one scale per output channel (scaleBytes). */
  perChannel?: boolean;
}

export interface CostOptions {
  /** Activation bits; 32 (default) when activations stay float. */
  actBits?: number;
  /**
   * Weight bits of layers that are not compressed. Default: 8 when any quantization is on
   * (the published setting: first conv, shortcuts and classifier at 8 bits), else 32.
   */
  otherWeightBits?: number;
  /** Bytes each layer's initializers take in the written file, when one was written. */
  actualBytes?: ReadonlyMap<string, number> | Record<string, number>;
}

export interface LayerCost {
  name: string;
  method: CostMethod;
  rank: number;
  weightBits: number;
  actBits: number;
  /** Weight parameters (no bias) of the layer as it runs: R*(I+J[+K]) when factorized. */
  params: number;
  macs: number;
  bops: number;
  /** params * weightBits / 8, no container overhead. */
  idealWeightBytes: number;
  /**
   * The codes as the file stores them: ONNX has no 3-, 5-, 6- or 7-bit type, so codes of 2-4
   * bits take INT4 (4 bits each) and 5-8 bits INT8 (8 bits each); float weights 32. Without
   * scales (scaleBytes), as idealWeightBytes.
   */
  storedWeightBytes: number;
  /**
   * Float32 DequantizeLinear scales as the rewrite writes them (not in idealWeightBytes):
   * 4 per factor ('factor' scales); per component, the R scales of one per-axis
   * DequantizeLinear plus the per-tensor 1 of the other factors (a rank-1 term only sees the
   * product of its columns' scales); PTQ 4 per tensor or per output channel; a layer left alone
   * at fewer than 32 bits, 4 per output channel.
   */
  scaleBytes: number;
  /** Initializer bytes in the written model (weights, scales, zero points, bias); NaN if unknown. */
  actualBytes: number;
  floatParams: number;
  floatMacs: number;
}

export interface CostTotals {
  params: number;
  floatParams: number;
  macs: number;
  floatMacs: number;
  bops: number;
  /** floatMacs * 32 * 32. */
  floatBops: number;
  /** bops / floatBops * 100. */
  bopPercent: number;
  idealWeightBytes: number;
  storedWeightBytes: number;
  scaleBytes: number;
  floatWeightBytes: number;
  /** Sum of the layers' actualBytes (NaN when any is unknown). */
  actualBytes: number;
}

export interface CostSummary {
  layers: LayerCost[];
  totals: CostTotals;
}

export function isFactorizing(method: CostMethod): boolean {
  return method !== 'none' && METHODS[method].factorizes;
}

export function isQuantizing(method: CostMethod): boolean {
  return method !== 'none' && METHODS[method].quantizes;
}

/**
 * Ideal bytes of a weight that is quantized only, outside the layer list: ConvTranspose, the W
 * and R of LSTM/GRU/RNN, and layers inside If/Loop/Scan bodies (src/core/rewrite/fixedWeights.ts):
 * `params` codes at `bits` plus one float32 scale per channel. Their MACs are not modelled.
 */
export function quantizedOnlyBytes(params: number, channels: number, bits: number): number {
  return bits >= FLOAT_BITS ? 4 * params : (params * bits) / 8 + 4 * channels;
}

/** Product of the dims; NaN when one is symbolic (unknown), so costs show as unknown. */
function product(dims: readonly Dim[]): number {
  let n = 1;
  for (const d of dims) n *= typeof d === 'number' ? d : Number.NaN;
  return n;
}

/**
 * The mode sizes the factorization sees (src/core/util/rank.ts, the engine's rule): Conv k x k
 * -> [Cout, Cin, k], else 2-way [I, J]; `modes` 3 keeps a 1x1 conv 3-way with K = 1.
 */
export function factorDims(layer: CostLayer, modes?: 2 | 3): number[] {
  const w = layer.weightShape;
  if (layer.op !== 'Conv') return [w[0], product(w.slice(1))];
  // A grouped conv is factorized per group: one group's view (the rank rule's dims).
  const dims = groupCpDims(w, factorGroups(layer));
  return dims.length === 2 && modes === 3 ? [...dims, 1] : dims;
}

/** Groups factorized one by one: a grouped (not depthwise) conv's group count, else 1. */
export function factorGroups(layer: CostLayer): number {
  const g = layer.group ?? 1;
  return layer.op === 'Conv' && g > 1 && layer.weightShape[1] > 1 ? g : 1;
}

/**
 * R = floor(prod(dims) / (sum(dims) * rate)) by the engine's rule; a rate that leaves no rank
 * throws a RankError with the reason, as the engine would.
 */
export function rankForRate(layer: CostLayer, rate: number): number {
  return rankFromRate(factorDims(layer), rate);
}

/** Output positions per sample: Hout*Wout for a Conv, the rows of a Gemm/MatMul output. */
function outputPositions(layer: CostLayer): number {
  const out = layer.outputShape ?? [Number.NaN];
  if (layer.op === 'Conv') return product(out.slice(2));
  return product(out.slice(1, -1));
}

/**
 * MACs of the factorized layer for one sample. Conv kxk: 1x1 Cin->R at the input resolution,
 * depthwise kh x kw at the output resolution, 1x1 R->Cout; 2-way: (I + J) * R per output row
 * (a strided 1x1 conv puts its stride on the first 1x1, so both run at the output resolution).
 */
export function factorizedMacs(layer: CostLayer, rank: number, modes?: 2 | 3): number {
  const dims = factorDims(layer, modes);
  const g = factorGroups(layer);
  const positions = outputPositions(layer);
  if (dims.length === 2) return g * (dims[0] + dims[1]) * rank * positions;
  const [cout, cin, k] = dims;
  const inPositions = product((layer.inputShape ?? [Number.NaN]).slice(2));
  return g * (rank * cin * inPositions + rank * k * positions + rank * cout * positions);
}

function anyQuantization(choices: Iterable<LayerChoice>, actBits: number): boolean {
  if (actBits < FLOAT_BITS) return true;
  for (const c of choices) if (isQuantizing(c.method)) return true;
  return false;
}

function lookupBytes(options: CostOptions, name: string): number {
  const src = options.actualBytes;
  if (!src) return Number.NaN;
  const v = src instanceof Map ? src.get(name) : (src as Record<string, number>)[name];
  return v ?? Number.NaN;
}

function choiceOf(
  choices: ReadonlyMap<string, LayerChoice> | Record<string, LayerChoice>,
  name: string,
): LayerChoice {
  const c =
    choices instanceof Map ? choices.get(name) : (choices as Record<string, LayerChoice>)[name];
  return c ?? { method: 'none' };
}

/** Weight bits a layer runs at under `choice`; `otherBits` for layers left alone. */
function weightBitsOf(choice: LayerChoice, otherBits: number): number {
  if (choice.method === 'none') return otherBits;
  if (!isQuantizing(choice.method)) return FLOAT_BITS;
  if (choice.bits === undefined) throw new Error(`method ${choice.method} needs bits`);
  return choice.bits;
}

export function layerCost(
  layer: CostLayer,
  choice: LayerChoice,
  otherWeightBits: number,
  actBits: number,
  actualBytes = Number.NaN,
): LayerCost {
  const floatParams = product(layer.weightShape);
  let params = floatParams;
  const floatMacs = layer.macs ?? Number.NaN;
  let macs = floatMacs;
  let rank = 0;
  if (isFactorizing(choice.method)) {
    if (!choice.rank || choice.rank < 1) throw new Error(`layer ${layer.name}: rank missing`);
    rank = choice.rank;
    params =
      factorGroups(layer) * rank * factorDims(layer, choice.modes).reduce((a, b) => a + b, 0);
    macs = factorizedMacs(layer, rank, choice.modes);
  }
  const weightBits = weightBitsOf(choice, otherWeightBits);
  // BOPs stay MACs x bits x bits with per-component scales: the R scales act where a
  // per-tensor scale would, once per output of the first 1x1 (a per-output-channel
  // requantization), not inside the products.
  return {
    name: layer.name,
    method: choice.method,
    rank,
    weightBits,
    actBits,
    params,
    macs,
    bops: macs * weightBits * actBits,
    idealWeightBytes: (params * weightBits) / 8,
    storedWeightBytes: (params * containerBits(weightBits)) / 8,
    scaleBytes: scaleBytesOf(layer, choice, weightBits, rank),
    actualBytes,
    floatParams,
    floatMacs,
  };
}

/**
 * Bits a code of `bits` takes in the written file (INT4 or INT8 DequantizeLinear codes, float
 * otherwise). A model that cannot reach opset 21 stores 4-bit codes in INT8 too; the rewrite
 * says so in its notes, and this does not model it.
 */
export function containerBits(bits: number): number {
  if (bits <= 4) return 4;
  return bits <= 8 ? 8 : FLOAT_BITS;
}

function scaleBytesOf(
  layer: CostLayer,
  choice: LayerChoice,
  weightBits: number,
  rank: number,
): number {
  if (weightBits >= FLOAT_BITS) return 0;
  const channels = layer.weightShape[0];
  if (choice.method === 'none') return 4 * channels;
  if (!isFactorizing(choice.method)) return 4 * (choice.perChannel ? channels : 1);
  const modes = factorDims(layer, choice.modes).length;
  return 4 * factorGroups(layer) * (scalesOf(choice) === 'component' ? rank + modes - 1 : modes);
}

/** The grid scales a choice is built with: QAF's, given or the engine's default; else per factor. */
function scalesOf(choice: LayerChoice): QafScales {
  return choice.method === 'admm' ? (choice.scales ?? DEFAULT_QAF_SCALES) : 'factor';
}

/** Per-layer and total costs of compressing `layers` as `choices` say. */
export function computeCosts(
  layers: readonly CostLayer[],
  choices: ReadonlyMap<string, LayerChoice> | Record<string, LayerChoice>,
  options: CostOptions = {},
): CostSummary {
  const actBits = options.actBits ?? FLOAT_BITS;
  const picked = layers.map((l) => choiceOf(choices, l.name));
  const otherBits = options.otherWeightBits ?? (anyQuantization(picked, actBits) ? 8 : FLOAT_BITS);
  const costs = layers.map((l, i) =>
    layerCost(l, picked[i], otherBits, actBits, lookupBytes(options, l.name)),
  );
  return { layers: costs, totals: sumCosts(costs) };
}

export function sumCosts(costs: readonly LayerCost[]): CostTotals {
  const t = {
    params: 0,
    floatParams: 0,
    macs: 0,
    floatMacs: 0,
    bops: 0,
    idealWeightBytes: 0,
    storedWeightBytes: 0,
    scaleBytes: 0,
    actualBytes: 0,
  };
  for (const c of costs) {
    t.params += c.params;
    t.floatParams += c.floatParams;
    t.macs += c.macs;
    t.floatMacs += c.floatMacs;
    t.bops += c.bops;
    t.idealWeightBytes += c.idealWeightBytes;
    t.storedWeightBytes += c.storedWeightBytes;
    t.scaleBytes += c.scaleBytes;
    t.actualBytes += c.actualBytes;
  }
  const floatBops = t.floatMacs * FLOAT_BITS * FLOAT_BITS;
  return {
    ...t,
    floatBops,
    // Unknown MACs (symbolic sizes) leave BOP % unknown (NaN), never a false 0 %.
    bopPercent:
      floatBops > 0 ? (t.bops / floatBops) * 100 : Number.isNaN(floatBops) ? Number.NaN : 0,
    floatWeightBytes: (t.floatParams * FLOAT_BITS) / 8,
  };
}

/** ONNX TensorProto element types whose storage size we need (onnx.proto3 DataType). */
const ELEMENT_BITS: Record<number, number> = {
  1: 32, // FLOAT
  2: 8, // UINT8
  3: 8, // INT8
  4: 16, // UINT16
  5: 16, // INT16
  6: 32, // INT32
  7: 64, // INT64
  9: 8, // BOOL
  10: 16, // FLOAT16
  11: 64, // DOUBLE
  12: 32, // UINT32
  13: 64, // UINT64
  16: 16, // BFLOAT16
  21: 4, // UINT4
  22: 4, // INT4
};

/** Bytes a tensor of `count` elements of ONNX `dataType` takes: 4-bit types pack two a byte. */
export function tensorStorageBytes(dataType: number, count: number): number {
  const bits = ELEMENT_BITS[dataType];
  if (bits === undefined) throw new Error(`unknown ONNX element type ${dataType}`);
  return Math.ceil((count * bits) / 8);
}
