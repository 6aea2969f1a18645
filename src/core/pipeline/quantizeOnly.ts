// A model with no main-graph layer whose weights the rewrite can still quantize (issue #12:
// Silero VAD keeps every Conv and LSTM inside If branches). Refusing it would leave the user
// nothing; a quantizing run (PTQ, QAF) writes those weights quantized per channel at the
// other-weights bits instead, and says that nothing was factorized and why: bodies are never
// factorized (rewrite/fixedWeights.ts), and no data step can reach a body's tensors to calibrate.
import { FLOAT_BITS, isQuantizing } from '../cost/costModel.ts';
import { type MethodId, methodSpec } from '../factor/methods/index.ts';
import { skipReasons } from '../onnx/layerCensus.ts';
import { quantizedOnlyLayers } from '../rewrite/fixedWeights.ts';
import type { PreparedModel } from './prepare.ts';
import type { OutputSettings } from './write.ts';

export interface QuantizeOnlyRun {
  /** The nodes whose weights are quantized, with where they are. */
  layers: string[];
  /** Their bits: the other-weights bits (8 unless the user set them). */
  bits: number;
  /** What is written and why nothing else is, in one sentence. */
  note: string;
}

/**
 * The quantize-only run of a model without main-graph layers, or null when the model has such
 * layers (then the selection decides), nothing to quantize, or the run would leave every weight
 * float (a float method, or other-weights bits 32). `method` undefined: layer results given by
 * the caller, a quantizing run.
 */
export function quantizeOnlyRun(
  prepared: PreparedModel,
  method: MethodId | undefined,
  output: Pick<OutputSettings, 'otherWeightBits' | 'actBits'> = {},
): QuantizeOnlyRun | null {
  if (prepared.layers.length > 0) return null;
  const layers = quantizedOnlyLayers(prepared.model);
  if (layers.length === 0) return null;
  const quantizing =
    method === undefined || isQuantizing(method) || (output.actBits ?? FLOAT_BITS) < FLOAT_BITS;
  const bits = output.otherWeightBits ?? (quantizing ? 8 : FLOAT_BITS);
  if (bits >= FLOAT_BITS) return null;
  const asked = method ? methodSpec(method).label : 'the compression';
  const inBodies = prepared.skipped.filter((l) => l.where !== 'main graph').length;
  const main = prepared.skipped.length - inBodies;
  const where = [
    inBodies &&
      `${inBodies} inside If/Loop/Scan bodies, out of reach of every step that runs the model on data`,
    main &&
      `${main} in the main graph, none factorizable (${skipReasons(
        prepared.skipped.filter((l) => l.where === 'main graph'),
        2,
      )})`,
  ].filter(Boolean);
  const note =
    `${asked}: no layer of the main graph to compress (of the model's ${prepared.skipped.length} ` +
    `weight nodes, ${where.join('; ')}), so nothing was factorized; the ${layers.length} ` +
    `with float32 constant weights ${layers.length === 1 ? 'is' : 'are'} quantized only, ${bits}-bit per ` +
    'channel (the other-weights bits), and not calibrated after compression (calibration corrects ' +
    "the main graph's layers)";
  return { layers, bits, note };
}
