// Public surface of in-runtime evaluation (onnxruntime-web, same code in Node and workers).
export { type BatchScores, ScoreAccumulator, type ScoreTotals } from './accumulate.ts';
export { type EvalReport, type EvaluateOptions, evaluateModel } from './evaluate.ts';
export { type LatencyOptions, type LatencyStats, latencyStats, measureLatency } from './latency.ts';
export * from './metrics.ts';
export {
  type PredictionSample,
  type PredictionSampleItem,
  predictionSample,
  samplePositions,
} from './sample.ts';
export {
  activeThreads,
  type CreateSessionOptions,
  configureOrt,
  createSession,
  describeInput,
  type InputInfo,
  type RuntimeOptions,
  runScores,
  runtimeName,
} from './session.ts';
