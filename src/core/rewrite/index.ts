// Public surface of the compressed-model rewrite.
export { type ActQuantParams, actQuantParams } from './activations.ts';
export {
  buildCompressedModel,
  buildReferenceModel,
  type CompressedModel,
} from './compressModel.ts';
export { checkOpsetUpgrade, irVersionFor } from './opset.ts';
export * from './types.ts';
export { reconstructWeight } from './weights.ts';
