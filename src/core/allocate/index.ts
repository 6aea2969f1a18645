// Public surface of per-layer allocation (issue #15): the allocation file, the sensitivity pass
// and its table, the budget solver.
export {
  ALLOCATION_METADATA_KEY,
  AllocationError,
  type AllocationModel,
  allocationJson,
  formatAllocation,
  parseAllocation,
  parseAllocationFile,
  validateAllocation,
} from './allocation.ts';
export {
  type AllocateOptions,
  allocateForBudget,
  allocationFromChoices,
  type Budget,
  type BudgetAllocation,
  BudgetError,
  type BudgetKind,
  budgetSpan,
  formatBudget,
  type Objective,
  parseBudget,
  parseBudgets,
  smallestReachable,
  storedBytes,
} from './budget.ts';
export { type BudgetSweepPlan, budgetSweepPlan, uniformBopPercent } from './budgetSweep.ts';
export { cachedFactorizer, jobKey, sharedFactorizer } from './factorizer.ts';
export { cutAtLayer, type LayerCut } from './layerCut.ts';
export {
  type CompressOption,
  DEFAULT_MENU,
  type LayerOption,
  menuOptions,
  type OptionMenu,
  optionCost,
  optionId,
  optionRank,
} from './options.ts';
export {
  measureSensitivity,
  type SensitivityOptions,
  type SensitivityProgress,
} from './sensitivity.ts';
export {
  BudgetUnreachableError,
  type KnapsackItem,
  type KnapsackSolution,
  solveMultipleChoice,
} from './solver.ts';
export {
  type LayerSensitivity,
  MemorySensitivityCache,
  type OptionSensitivity,
  parseSensitivityTable,
  SENSITIVITY_CACHE_FORMAT,
  SENSITIVITY_FORMAT,
  SENSITIVITY_VERSION,
  type SensitivityCache,
  type SensitivityCacheDocument,
  type SensitivityCacheEntry,
  type SensitivityEntryInfo,
  type SensitivityTable,
  SerializableSensitivityCache,
} from './table.ts';
