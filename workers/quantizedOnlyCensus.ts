// The weights the rewrite quantizes only (ConvTranspose, LSTM/GRU/RNN W and R, layers inside
// If/Loop/Scan bodies: src/core/rewrite/fixedWeights.ts), counted for the page's what-if costs by
// the very function the rewrite runs, on a copy of the model, so the preview's bytes are the
// written file's.
import { jsKernels } from '../src/core/kernels/js.ts';
import { readModel } from '../src/core/onnx/reader.ts';
import type { GraphProto, OnnxModel } from '../src/core/onnx/types.ts';
import { quantizeFixedWeights } from '../src/core/rewrite/fixedWeights.ts';
import type { QuantizedOnlyWeights } from './protocol/modelTypes.ts';

const FIXED_OPS = new Set(['ConvTranspose', 'LSTM', 'GRU', 'RNN']);

/** Whether `graph` has a node the rewrite may quantize only (a cheap scan, no copy). */
function mayHaveFixedWeights(graph: GraphProto): boolean {
  return (graph.node ?? []).some(
    (n) =>
      FIXED_OPS.has(n.opType ?? '') || (n.attribute ?? []).some((a) => a.g || a.graphs?.length),
  );
}

/**
 * `bytes`: the (normalised) model file the pipeline gets; it is read again, never changed, and
 * only when `model` (the same, parsed) has such a node.
 */
export function quantizedOnlyCensus(bytes: Uint8Array, model: OnnxModel): QuantizedOnlyWeights {
  if (!mayHaveFixedWeights(model.graph)) return { layers: [], weights: 0, params: 0, channels: 0 };
  // 'values' at 8 bits: only the counts are kept (they do not depend on the bits).
  const q = quantizeFixedWeights(readModel(bytes), 8, jsKernels, 'values');
  return { layers: q.layers, weights: q.weights, params: q.params, channels: q.channels };
}
