// From an ONNX model to compression jobs: which layers, their weights, shapes and settings. Pure,
// so the CLI, the sweep, the tests and the app's model worker select layers the same way.

import {
  discoverLayers,
  findInitializer,
  inferShapes,
  type LayerInfo,
  type OnnxModel,
  tensorToFloat32,
} from '../onnx/index.ts';
import type { InputMoments } from './inputMoments.ts';
import { methodSpec } from './methods/index.ts';
import type { CompressJob } from './types.ts';

export type JobSettings = Omit<CompressJob, 'name' | 'weight' | 'shape' | 'inputMoments'>;

export interface LayerSelection {
  /** Only layers whose name or weight name matches (any weight layer the method can take). */
  layers?: RegExp;
  /** Only these layers, by name; a name the model lacks is an error. */
  names?: readonly string[];
  /** Only convolutions with a kernel larger than 1x1 (the published setup's block convs). */
  spatialOnly?: boolean;
}

/**
 * Global settings, which layers, and per-layer overrides: the one value the UI, the CLI and the
 * sweep hand to the pipeline. An override replaces some settings of one layer, or keeps it as is.
 */
export interface Allocation {
  settings: JobSettings;
  selection?: LayerSelection;
  overrides?: Readonly<Record<string, Partial<JobSettings> | 'keep'>>;
}

/**
 * The layers a method applies to (its registry entry: factorizable layers for CP methods, every
 * weight layer for PTQ); `layers` picks among all weight layers instead, grouped convs only for
 * methods that take them.
 */
export function selectLayers(
  all: readonly LayerInfo[],
  method: CompressJob['method'],
  selection: LayerSelection = {},
): LayerInfo[] {
  const spec = methodSpec(method);
  const pattern = selection.layers;
  let picked = pattern
    ? all.filter(
        (l) =>
          (pattern.test(l.name) || pattern.test(l.weightName)) &&
          spec.appliesTo({ factorizable: l.group === 1 || l.factorizable, group: l.group }),
      )
    : all.filter((l) => spec.appliesTo(l));
  if (selection.spatialOnly) {
    picked = picked.filter((l) => l.op === 'Conv' && l.kernel.reduce((a, b) => a * b, 1) > 1);
  }
  if (selection.names) {
    const missing = selection.names.filter((n) => !all.some((l) => l.name === n));
    if (missing.length) throw new RangeError(`no layer named ${missing.join(', ')} in this model`);
    const wanted = new Set(selection.names);
    picked = picked.filter((l) => wanted.has(l.name));
  }
  return picked;
}

/**
 * One job per allocated layer, with the weight decoded to float32, in graph order; data-aware
 * QAF jobs carry their layer's input statistics from `moments` (by layer name) when it has them.
 */
export function allocationJobs(
  model: OnnxModel,
  layers: readonly LayerInfo[],
  allocation: Allocation,
  moments?: ReadonlyMap<string, InputMoments>,
): CompressJob[] {
  const overrides = allocation.overrides ?? {};
  const unknown = Object.keys(overrides).filter((n) => !layers.some((l) => l.name === n));
  if (unknown.length) throw new RangeError(`no layer named ${unknown.join(', ')} in this model`);
  const selected = selectLayers(layers, allocation.settings.method, allocation.selection);
  const jobs: CompressJob[] = [];
  for (const layer of selected) {
    const override = overrides[layer.name];
    if (override === 'keep') continue;
    const init = findInitializer(model, layer.weightName);
    if (!init) throw new Error(`${layer.name}: weight ${layer.weightName} not found`);
    const job: CompressJob = {
      ...allocation.settings,
      ...override,
      name: layer.name,
      weight: tensorToFloat32(init),
      shape: [...layer.weightShape],
    };
    // A grouped conv a factorizing method takes is factorized per group (compressLayer.ts).
    if (layer.group > 1 && methodSpec(job.method).factorizes) job.groups = layer.group;
    const layerMoments = moments?.get(layer.name);
    if (wantsInputMoments(job) && layerMoments) job.inputMoments = layerMoments;
    jobs.push(job);
  }
  return jobs;
}

/** One job per selected layer (layers discovered with static shapes). */
export function modelLayerJobs(
  model: OnnxModel,
  settings: JobSettings,
  selection: LayerSelection = {},
): CompressJob[] {
  return allocationJobs(model, discoverLayers(model, inferShapes(model)), { settings, selection });
}

/**
 * Whether a job can use its layer's input statistics: QAF asked for the data-aware objective
 * or left the objective to its default (data-aware when the statistics are there).
 */
export function wantsInputMoments(job: Pick<CompressJob, 'method' | 'objective'>): boolean {
  return job.method === 'admm' && job.objective !== 'published';
}

/** Whether any job of an allocation can use input statistics (then the pipeline collects them). */
export function allocationWantsInputMoments(allocation: Allocation): boolean {
  const overrides = Object.values(allocation.overrides ?? {});
  return [allocation.settings, ...overrides].some(
    (s) => s !== 'keep' && wantsInputMoments({ ...allocation.settings, ...s }),
  );
}
