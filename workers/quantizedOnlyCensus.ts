// The weights the rewrite quantizes only (ConvTranspose, LSTM/GRU/RNN W and R, layers inside
// If/Loop/Scan bodies: src/core/rewrite/fixedWeights.ts), counted for the page's what-if costs by
// the very function the rewrite runs, on a copy of the model, so the preview's bytes are the
// written file's.
import { jsKernels } from '../src/core/kernels/js.ts';
import { readModel } from '../src/core/onnx/reader.ts';
import { quantizeFixedWeights } from '../src/core/rewrite/fixedWeights.ts';
import type { QuantizedOnlyWeights } from './protocol/modelTypes.ts';

/** `bytes`: the (normalised) model file the pipeline gets; it is read again, never changed. */
export function quantizedOnlyCensus(bytes: Uint8Array): QuantizedOnlyWeights {
  // 'values' at 8 bits: only the counts are kept (they do not depend on the bits).
  const q = quantizeFixedWeights(readModel(bytes), 8, jsKernels, 'values');
  return { layers: q.layers, weights: q.weights, params: q.params, channels: q.channels };
}
