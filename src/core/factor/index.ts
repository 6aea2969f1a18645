// Public surface of the factorization engine.
export {
  ADMM_PRESETS,
  type AdmmOptions,
  type AdmmParams,
  admmQuantizedCp,
  type QuantizedCp,
} from './admm.ts';
export { ftqFactors, type PtqWeight, ptqWeight } from './baselines.ts';
export { type CompressHooks, compressLayer, floatCp, reconstruct } from './compressLayer.ts';
export { type CpAlsOptions, type CpDecomposition, cpAls } from './cpAls.ts';
export { balanceColumns, cpReconstruct, cpRelativeError, relativeErrorOf } from './cpTensor.ts';
export {
  type JobSettings,
  type LayerSelection,
  modelLayerJobs,
  selectLayers,
} from './modelJobs.ts';
export { cpDims, rankFromRate, resolveRank } from './rank.ts';
export { truncatedSvd } from './svd.ts';
export type * from './types.ts';
