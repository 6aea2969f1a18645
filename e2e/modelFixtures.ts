// Models for e2e specs that need op kinds the demo has none of (no ../shared needed).
import { upAndRecurrent } from '../test/support/upAndRecurrent.ts';

/**
 * x [1, 16, 6, 6] -> 3x3 Conv (factorizable) -> ConvTranspose (stride 2) -> [96, 1, 12] sequence
 * -> LSTM + GRU -> y: three layers the pipeline quantizes only (test/rewrite/fixedWeights.test.ts).
 */
export function upAndRecurrentModel(): Buffer {
  return Buffer.from(upAndRecurrent());
}
