// Public surface of the compression pipeline (prepare -> factorize -> write -> calibrate -> check).
export {
  type CalibratedModel,
  type CalibrationSettings,
  calibrateCompressedModel,
} from './calibrate.ts';
export {
  checkWrittenModel,
  describeCheck,
  type OutputDifference,
  type RunCheck,
  WrittenModelError,
} from './check.ts';
export {
  type CompressModelInput,
  type CompressModelOutput,
  compressModel,
  type Factorizer,
  sequentialFactorizer,
} from './compressModel.ts';
export { layerOutputs, type PreparedModel, type PrepareOptions, prepareModel } from './prepare.ts';
export { type QuantizeOnlyRun, quantizeOnlyRun } from './quantizeOnly.ts';
export {
  assertValidModel,
  InvalidModelError,
  type ModelValidation,
  validateModel,
} from './validate.ts';
export { type OutputSettings, writeCompressedModel } from './write.ts';
