// The evaluation worker's message types, for the rest of the app: only src/app/bridge/ imports
// from workers/ (test/architecture/imports.test.ts), so the workbench takes them from here.
export type {
  ArraysAgreement,
  ArraysRequest,
  BuildRequest,
  BuildResult,
  DatasetSummary,
  EvaluateRequest,
  EvaluateResult,
  EvalWorkerApi,
  MomentsRequest,
  MomentsResult,
  OutputAgreement,
  SweepRequest,
} from '../../../workers/eval.worker.ts';
export type { PredictionSample, PredictionSampleItem } from '../../core/eval/sample.ts';
