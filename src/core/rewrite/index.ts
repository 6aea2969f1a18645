// Public surface of the compressed-model rewrite.
export { type ActQuantParams, type ActRange, actQuantParams, rangeOf } from './activations.ts';
export {
  buildCompressedModel,
  buildReferenceModel,
  type CompressedModel,
} from './compressModel.ts';
export { checkOpsetUpgrade, irVersionFor } from './opset.ts';
export * from './types.ts';
export { reconstructWeight } from './weights.ts';
export {
  type CalibrationSource,
  calibrationInputs,
  type WriteCompressedInput,
  writeCompressed,
} from './writeCompressed.ts';
