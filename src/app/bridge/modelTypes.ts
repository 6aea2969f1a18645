// The model worker's protocol types, defined beside the worker (workers never import from
// src/app); app code keeps importing them from here.
export type {
  InputShapes,
  ModelOverview,
  QuantizedOnlyWeights,
  RuntimeCheck,
} from '../../../workers/protocol/modelTypes.ts';
