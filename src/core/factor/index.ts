// Public surface of the factorization engine.

export {
  cpDims,
  maxRank,
  RankError,
  rankFromRate,
  resolveRank,
  tryResolveRank,
} from '../util/rank.ts';
export {
  ADMM_PRESETS,
  type AdmmOptions,
  type AdmmParams,
  admmQuantizedCp,
  type QuantizedCp,
} from './admm.ts';
export { ftqFactors, type PtqWeight, ptqWeight } from './baselines.ts';
export { type CompressHooks, compressLayer, reconstruct } from './compressLayer.ts';
export { type CpAlsOptions, type CpDecomposition, cpAls } from './cpAls.ts';
export { balanceColumns, cpReconstruct, cpRelativeError, relativeErrorOf } from './cpTensor.ts';
export { FLOAT_CP_MAX_ITERATIONS, floatCp } from './methods/floatCp.ts';
export {
  isMethodId,
  type LayerTraits,
  METHOD_CHOICES,
  METHOD_IDS,
  METHODS,
  type MethodChoice,
  type MethodChoiceId,
  type MethodId,
  type MethodSpec,
  methodChoice,
  methodSpec,
} from './methods/index.ts';
export {
  type Allocation,
  allocationJobs,
  type JobSettings,
  type LayerSelection,
  modelLayerJobs,
  selectLayers,
} from './modelJobs.ts';
export { truncatedSvd } from './svd.ts';
export type * from './types.ts';
