// Public surface of calibration after compression and of activation ranges. The shells reach
// both through the pipeline (src/core/pipeline), which runs them on a written model.
export {
  type ActCalibration,
  actCalibrationFromBatches,
  activationRangeProbe,
  calibrateActivations,
  rangeOf,
} from './activationRanges.ts';
export { type AffineOptions, type ChannelAffine, channelAffine, foldAffine } from './affine.ts';
export { makeCalibrationBatches, modelInputShape } from './batches.ts';
export {
  type CalibrateOptions,
  type CalibrationReport,
  type CalibrationStrategy,
  calibrateModel,
} from './calibrateModel.ts';
export { type ChannelStats, channelStd } from './channelStats.ts';
export * from './defaults.ts';
export {
  calibrationCountWarning,
  calibrationDataProblem,
  calibrationFromEvaluation,
  type EvaluationCalibration,
  type ImageGeometry,
} from './fromData.ts';
export { foldIntoGraph } from './graphEdit.ts';
export { type CalibrationBatch, collectOutputStats } from './outputStats.ts';
