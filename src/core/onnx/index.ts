// Public surface of the ONNX core. Pure: no DOM, no workers, no onnxruntime at load time
// (inferShapesWithRuntime imports onnxruntime-web lazily).
export { type AnalyzeOptions, analyzeModel, type ModelAnalysis } from './analyzeModel.ts';
export {
  attrFloat,
  attrInt,
  attrInts,
  attrString,
  attrTensor,
  findAttribute,
} from './attributes.ts';
export {
  type AttributeValue,
  findInitializer,
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  type TensorData,
} from './builders.ts';
export { graphInputs, modelInputShape } from './graphInputs.ts';
export { noLayerMessage, type SkippedLayer, skipReasons, WEIGHT_OPS } from './layerCensus.ts';
export {
  discoverLayers,
  type LayerCensus,
  type LayerInfo,
  layerCensus,
  MIN_FACTORIZABLE_WEIGHTS,
  MIN_RATE,
} from './layers.ts';
export { type NormalizedModel, normalizeModel } from './normalize.ts';
export { readModel, writeModel } from './reader.ts';
export { inferShapesWithRuntime } from './runtimeShapes.ts';
export {
  type ConstValue,
  type Dim,
  formatShape,
  isStatic,
  type Shape,
  UNKNOWN_DIM,
} from './shapes/dims.ts';
export {
  defaultOpset,
  type InferOptions,
  type InferredShapes,
  inferShapes,
  valueInfoShape,
} from './shapes/inferShapes.ts';
export { type IoInfo, type ModelSummary, summarizeModel } from './summary.ts';
export {
  checkTensor,
  dataTypeName,
  elementCount,
  rawByteLength,
  type TensorArray,
  tensorToArray,
  tensorToFloat32,
  tensorToNumbers,
} from './tensor.ts';
export * from './types.ts';
