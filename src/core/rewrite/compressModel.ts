// Entry points: the compressed model (factorized layers, INT4/INT8 DequantizeLinear weights,
// optional activation Q/DQ) with its report, and the float reference model whose weights are
// the reconstruction of the same dequantized factors (the equivalence check's other side).
import {
  computeCosts,
  FLOAT_BITS,
  isQuantizing,
  type LayerChoice,
  type LayerCost,
  quantizedOnlyBytes,
} from '../cost/costModel.ts';
import { ptqWeight } from '../factor/baselines.ts';
import { relativeErrorOf } from '../factor/cpTensor.ts';
import type { LayerResult } from '../factor/types.ts';
import { jsKernels } from '../kernels/js.ts';
import type { Kernels } from '../kernels/types.ts';
import { readModel, writeModel } from '../onnx/reader.ts';
import { defaultOpset } from '../onnx/shapes/inferShapes.ts';
import { DataType, type OnnxModel } from '../onnx/types.ts';
import {
  actQuantParams,
  insertActivationQdq,
  layerInputNames,
  quantizeChainTensors,
} from './activations.ts';
import { type FixedWeightQuantization, quantizeFixedWeights } from './fixedWeights.ts';
import { GraphEditor } from './graphEdit.ts';
import { initializersRead, quantizeOtherLayer, rewriteLayer } from './layerRewrite.ts';
import {
  checkOpsetUpgrade,
  int8ContainersInstead,
  neededOpset,
  upgradeOpset,
  widenInt4Codes,
} from './opset.ts';
import { floatTensor, readFloat32, tensorPayloadBytes } from './tensors.ts';
import {
  type CompressionReport,
  type LayerNames,
  type LayerReport,
  RewriteError,
  type RewriteLayer,
  type RewriteOptions,
} from './types.ts';
import { reconstructWeight } from './weights.ts';

export interface CompressedModel {
  model: OnnxModel;
  bytes: Uint8Array;
  report: CompressionReport;
  /** Per layer, the names calibration after compression needs. */
  names: Map<string, LayerNames>;
}

interface Plan {
  results: Map<string, LayerResult>;
  kernels: Kernels;
  otherWeightBits: number;
  actBits: number;
  targetOpset: number;
  /** Why 4-bit codes go to INT8 containers (opset 21 out of reach); null: INT4. */
  int8For4: string | null;
}

function plan(
  model: OnnxModel,
  layers: readonly RewriteLayer[],
  results: readonly LayerResult[],
  options: RewriteOptions,
  checkOpset = true,
): Plan {
  const known = new Set(layers.map((l) => l.name));
  const byName = new Map<string, LayerResult>();
  for (const r of results) {
    if (!known.has(r.name)) throw new RewriteError(`result for unknown layer "${r.name}"`);
    byName.set(r.name, r);
  }
  const actBits = options.actBits ?? FLOAT_BITS;
  if (actBits !== FLOAT_BITS && actBits !== 8) {
    throw new RewriteError(`activation bits must be 8 or 32 (float), got ${actBits}`);
  }
  const quantOn = actBits < FLOAT_BITS || results.some((r) => isQuantizing(r.method));
  const otherWeightBits = options.otherWeightBits ?? (quantOn ? 8 : FLOAT_BITS);
  if (otherWeightBits !== FLOAT_BITS && (otherWeightBits < 2 || otherWeightBits > 8)) {
    throw new RewriteError(`otherWeightBits must be 2-8 or 32, got ${otherWeightBits}`);
  }
  let targetOpset = neededOpset(results, actBits, otherWeightBits, layers.length > results.length);
  const int8For4 = targetOpset === 21 ? int8ContainersInstead(model) : null;
  if (int8For4) targetOpset = 13;
  const from = defaultOpset(model);
  if (checkOpset && targetOpset > from) checkOpsetUpgrade(model, from, targetOpset);
  return {
    results: byName,
    kernels: options.kernels ?? jsKernels,
    otherWeightBits,
    actBits,
    targetOpset,
    int8For4,
  };
}

/** Builds the compressed model; async because activation calibration runs the model. */
export async function buildCompressedModel(
  model: OnnxModel,
  layers: readonly RewriteLayer[],
  results: readonly LayerResult[],
  options: RewriteOptions = {},
): Promise<CompressedModel> {
  const p = plan(model, layers, results, options);
  const ed = new GraphEditor(model);
  if (p.actBits < FLOAT_BITS)
    await addActivationQuantization(ed, model, layers, results, p, options);
  const names = new Map<string, LayerNames>();
  for (const layer of layers) names.set(layer.name, rewriteOne(ed, layer, p));
  upgradeOpset(ed, p.targetOpset);
  let out = ed.commit();
  if (p.int8For4) widenInt4Codes(out);
  const fixed =
    p.otherWeightBits < FLOAT_BITS && options.fixedWeights !== false
      ? quantizeFixedWeights(out, p.otherWeightBits, p.kernels, 'codes', p.targetOpset >= 21)
      : null;
  const chain = [...names.values()].flatMap((n) => n.chainTensorNames);
  if (p.actBits < FLOAT_BITS && options.activationRanges && chain.length) {
    out = await quantizeChainTensors(
      out,
      chain,
      options.activationRanges,
      options.actType ?? 'uint8',
    );
  }
  const bytes = writeModel(out);
  const floatSizeBytes = options.floatSizeBytes ?? writeModel(model).length;
  const report = buildReport(
    model,
    readModel(bytes),
    bytes.length,
    floatSizeBytes,
    layers,
    names,
    p,
  );
  if (fixed?.layers.length) report.notes.push(fixedNote(fixed, p));
  return { model: out, bytes, report, names };
}

async function addActivationQuantization(
  ed: GraphEditor,
  model: OnnxModel,
  layers: readonly RewriteLayer[],
  results: readonly LayerResult[],
  p: Plan,
  options: RewriteOptions,
): Promise<void> {
  const probe = options.activationRanges;
  if (!probe) {
    throw new RewriteError('activation quantization needs calibration images for its ranges');
  }
  // Ranges come from the float graph carrying the compressed weights (same tensor names): with
  // a large factorization error the original weights give ranges the compressed model exceeds.
  const withCompressedWeights = buildReferenceModel(model, layers, results, {
    otherWeightBits: p.otherWeightBits,
    kernels: p.kernels,
  });
  const names = layerInputNames(model, layers);
  const ranges = await probe(withCompressedWeights, names);
  const type = options.actType ?? 'uint8';
  const params = new Map([...ranges].map(([name, r]) => [name, actQuantParams(r, type)]));
  insertActivationQdq(ed, layers, params);
}

function rewriteOne(ed: GraphEditor, layer: RewriteLayer, p: Plan): LayerNames {
  const result = p.results.get(layer.name);
  if (result) return rewriteLayer(ed, layer, result);
  checkFloatWeight(ed.model, layer);
  if (p.otherWeightBits < FLOAT_BITS)
    return quantizeOtherLayer(ed, layer, p.otherWeightBits, p.kernels);
  const node = ed.nodes[layer.nodeIndex];
  return {
    lastWeightScaleName: null,
    biasName: layer.biasName ?? null,
    outputName: node.output?.[0] ?? '',
    nodeNames: [node.name ?? ''],
    initializerNames: initializersRead(ed, [node]),
    chainTensorNames: [],
  };
}

function checkFloatWeight(model: OnnxModel, layer: RewriteLayer): void {
  const t = model.graph.initializer?.find((x) => x.name === layer.weightName);
  if (!t)
    throw new RewriteError(
      `layer ${layer.name}: weight "${layer.weightName}" is not an initializer`,
    );
  if (t.dataType !== DataType.FLOAT) {
    throw new RewriteError(
      `layer ${layer.name}: only float32 weights are rewritten (type ${t.dataType})`,
    );
  }
}

function choiceFor(r: LayerResult | undefined): LayerChoice {
  if (!r) return { method: 'none' };
  // A grouped result's groups all have the form of the first.
  const factors = r.groups?.[0]?.factors ?? r.factors;
  const modes = factors.length === 3 ? 3 : 2;
  const component = factors.some((f) => f.columnScales);
  const perChannel = factors.length === 1 && factors[0].scales !== undefined;
  return {
    method: r.method,
    rank: r.rank,
    bits: r.bits,
    modes,
    ...(r.method === 'admm' && {
      scales: component ? ('component' as const) : ('factor' as const),
    }),
    ...(perChannel && { perChannel }),
  };
}

function buildReport(
  original: OnnxModel,
  written: OnnxModel,
  sizeBytes: number,
  floatSizeBytes: number,
  layers: readonly RewriteLayer[],
  names: ReadonlyMap<string, LayerNames>,
  p: Plan,
): CompressionReport {
  const payload = new Map(
    (written.graph.initializer ?? []).map((t) => [t.name ?? '', tensorPayloadBytes(t)]),
  );
  const actualBytes = new Map(
    layers.map((l) => {
      const used = names.get(l.name)?.initializerNames ?? [];
      return [l.name, used.reduce((s, n) => s + (payload.get(n) ?? 0), 0)];
    }),
  );
  const choices = new Map(layers.map((l) => [l.name, choiceFor(p.results.get(l.name))]));
  const costs = computeCosts(layers, choices, {
    actBits: p.actBits,
    otherWeightBits: p.otherWeightBits,
    actualBytes,
  });
  const reports = costs.layers.map((c, i) => layerReport(original, layers[i], c, p));
  const t = costs.totals;
  return {
    layers: reports,
    totals: {
      params: t.params,
      macs: t.macs,
      bops: t.bops,
      bopPercent: t.bopPercent,
      sizeBytes,
      idealWeightBytes: t.idealWeightBytes,
      floatSizeBytes,
    },
    otherWeightBits: p.otherWeightBits,
    actBits: p.actBits,
    opsetVersion: defaultOpset(written),
    irVersion: written.irVersion ?? 0,
    notes: notes(p),
  };
}

function layerReport(original: OnnxModel, layer: RewriteLayer, c: LayerCost, p: Plan): LayerReport {
  const r = p.results.get(layer.name);
  let error = 0;
  if (r)
    error = Number.isFinite(r.error)
      ? r.error
      : relativeErrorOf(weightOf(original, layer), reconstructWeight(r));
  else if (p.otherWeightBits < FLOAT_BITS)
    error = relativeErrorOf(weightOf(original, layer), otherValues(original, layer, p));
  return {
    name: layer.name,
    method: c.method,
    rank: c.rank,
    bits: c.weightBits,
    error,
    macs: c.macs,
    bops: c.bops,
    bytes: c.actualBytes,
  };
}

function notes(p: Plan): string[] {
  const out: string[] = [];
  const quantized = [...p.results.values()].filter((r) => isQuantizing(r.method));
  const bits = new Set(quantized.map((r) => r.bits));
  if (p.otherWeightBits < FLOAT_BITS) bits.add(p.otherWeightBits);
  const odd = [...bits].filter((b) => b > 4 && b < 8).sort();
  if (odd.length) out.push(`${odd.join(', ')}-bit codes are stored in 8-bit (INT8) containers`);
  if (p.int8For4 && [...bits].some((b) => b <= 4)) {
    out.push(
      `codes of 4 bits or fewer are stored in 8-bit (INT8) containers (8 bits a code, not 4): ` +
        `INT4 needs opset 21, out of reach for this model (${p.int8For4.replace(/^cannot raise the model from /, 'from ')})`,
    );
  } else if ([...bits].some((b) => b < 4))
    out.push('codes under 4 bits are stored in 4-bit (INT4) containers');
  if (p.actBits < FLOAT_BITS) {
    out.push(
      'activations: 8-bit Q/DQ on every input of every weight node, the tensors inside factorized chains included',
    );
  }
  return out;
}

/** The layers quantized without factorizing (fixedWeights.ts), said once with their bits. */
function fixedNote(fixed: FixedWeightQuantization, p: Plan): string {
  const { layers, params, channels } = fixed;
  const shown = layers.slice(0, 3).join(', ') + (layers.length > 3 ? ', ...' : '');
  const int8 = p.otherWeightBits <= 4 && p.targetOpset < 21;
  const ideal = quantizedOnlyBytes(params, channels, int8 ? 8 : p.otherWeightBits);
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  return (
    `${layers.length} layer${layers.length === 1 ? '' : 's'} quantized only, ${p.otherWeightBits}-bit per channel${int8 ? ' (in INT8 containers)' : ''}, ` +
    `not factorized (inside If/Loop/Scan bodies, ConvTranspose, LSTM/GRU/RNN; ${params} weights, ` +
    `${kib(ideal)} instead of ${kib(4 * params)}, not in the layer totals)` +
    `${p.actBits < FLOAT_BITS ? ', their activations left float' : ''}: ${shown}`
  );
}

function weightOf(model: OnnxModel, layer: RewriteLayer): Float32Array {
  const t = model.graph.initializer?.find((x) => x.name === layer.weightName);
  if (!t)
    throw new RewriteError(
      `layer ${layer.name}: weight "${layer.weightName}" is not an initializer`,
    );
  return readFloat32(t);
}

function otherValues(model: OnnxModel, layer: RewriteLayer, p: Plan): Float32Array {
  return ptqWeight(p.kernels, weightOf(model, layer), layer.weightShape, p.otherWeightBits, true)
    .values;
}

/**
 * The original graph with each layer's weight replaced by what the compressed model computes:
 * the reconstruction of the dequantized factors, or the per-channel quantized weight of the
 * other layers (same `otherWeightBits` default as buildCompressedModel).
 */
export function buildReferenceModel(
  model: OnnxModel,
  layers: readonly RewriteLayer[],
  results: readonly LayerResult[],
  options: Pick<RewriteOptions, 'otherWeightBits' | 'kernels'> = {},
): OnnxModel {
  const p = plan(model, layers, results, options, false);
  const out = structuredClone(model);
  // First: a weight a main-graph layer shares with a body keeps its name for the main layer.
  if (p.otherWeightBits < FLOAT_BITS) {
    quantizeFixedWeights(out, p.otherWeightBits, p.kernels, 'values');
  }
  const inits = out.graph.initializer ?? [];
  for (const layer of layers) {
    const r = p.results.get(layer.name);
    if (!r && p.otherWeightBits >= FLOAT_BITS) continue;
    checkFloatWeight(model, layer);
    const values = r ? reconstructWeight(r) : otherValues(model, layer, p);
    const i = inits.findIndex((t) => t.name === layer.weightName);
    inits[i] = floatTensor(layer.weightName, layer.weightShape, values);
  }
  return out;
}
