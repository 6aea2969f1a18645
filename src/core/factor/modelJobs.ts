// From an ONNX model to compression jobs: which layers, their weights and shapes. Pure, so the
// CLI, the tests and the app's worker feeding all select layers the same way.

import {
  discoverLayers,
  findInitializer,
  inferShapes,
  type LayerInfo,
  type OnnxModel,
  tensorToFloat32,
} from '../onnx/index.ts';
import type { CompressJob } from './types.ts';

export type JobSettings = Omit<CompressJob, 'name' | 'weight' | 'shape'>;

export interface LayerSelection {
  /** Only layers whose name or weight name matches. */
  layers?: RegExp;
}

/**
 * The layers a method applies to: the factorizable ones for CP methods, every weight layer
 * for PTQ; `--layers` picks among all weight layers instead (grouped convs never factorize).
 */
export function selectLayers(
  all: readonly LayerInfo[],
  method: CompressJob['method'],
  selection: LayerSelection = {},
): LayerInfo[] {
  const pattern = selection.layers;
  if (!pattern) return all.filter((l) => method === 'ptq' || l.factorizable);
  return all.filter(
    (l) =>
      (pattern.test(l.name) || pattern.test(l.weightName)) && (method === 'ptq' || l.group === 1),
  );
}

/** One job per selected layer, with the weight decoded to float32. */
export function modelLayerJobs(
  model: OnnxModel,
  settings: JobSettings,
  selection: LayerSelection = {},
): CompressJob[] {
  const layers = selectLayers(
    discoverLayers(model, inferShapes(model)),
    settings.method,
    selection,
  );
  return layers.map((layer) => {
    const init = findInitializer(model, layer.weightName);
    if (!init) throw new Error(`${layer.name}: weight ${layer.weightName} not found`);
    return {
      ...settings,
      name: layer.name,
      weight: tensorToFloat32(init),
      shape: [...layer.weightShape],
    };
  });
}
