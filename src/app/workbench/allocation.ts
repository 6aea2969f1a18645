// Per-layer overrides (issue #15, item 3) as the run and the panels see them: the settings'
// overrides turned into the pipeline's Allocation, and the words a result row or chart point
// uses for an allocated run. Pure: the worker calls are in allocationJobs.ts.
import type { SensitivityTable } from '../../core/allocate/index.ts';
import type { Allocation, JobSettings } from '../../core/factor/modelJobs.ts';
import type { LayerInfo } from '../../core/onnx/index.ts';
import {
  type CompressSettings,
  chosenLayers,
  jobSettings,
  type LayerOverride,
  layerJobSettings,
  METHOD_LABELS,
} from './settings.ts';

/** The overrides that apply to this model's chosen layers (others are left from another model). */
export function activeOverrides(
  layers: readonly LayerInfo[],
  s: CompressSettings,
): Record<string, LayerOverride> {
  const all = s.overrides ?? {};
  const out: Record<string, LayerOverride> = {};
  for (const layer of chosenLayers(layers, s)) {
    if (all[layer.name] !== undefined) out[layer.name] = all[layer.name];
  }
  return out;
}

/** Whether a run's settings were allocated per layer (some layer overridden or kept). */
export function isAllocated(s: Pick<CompressSettings, 'overrides'> | undefined): boolean {
  return Object.keys(s?.overrides ?? {}).length > 0;
}

/**
 * What the overrides add to a configuration's identity on the charts ('' without any): an
 * allocated run is neither the twin of a uniform point nor a neighbour to estimate from.
 */
export function overridesKey(s: Pick<CompressSettings, 'overrides'>): string {
  const o = s.overrides ?? {};
  const names = Object.keys(o).sort();
  return names.length ? `|alloc:${JSON.stringify(names.map((n) => [n, o[n]]))}` : '';
}

/** "QAF (ADMM)" or "QAF (ADMM), allocated": the method as a result row or point names it. */
export function methodText(s: Pick<CompressSettings, 'method' | 'overrides'>): string {
  const label = METHOD_LABELS[s.method];
  return isAllocated(s) ? `${label}, allocated` : label;
}

/** The pipeline's allocation of a run: global settings, the chosen layers, their overrides. */
export function runAllocation(layers: readonly LayerInfo[], s: CompressSettings): Allocation {
  const base = jobSettings(s);
  const names = chosenLayers(layers, s).map((l) => l.name);
  const overrides: Record<string, Partial<JobSettings> | 'keep'> = {};
  for (const name of names) {
    const job = layerJobSettings(s, name);
    if (!job) overrides[name] = 'keep';
    else if (s.overrides?.[name] !== undefined) {
      const { rate, rank, bits } = job;
      overrides[name] = { rate, rank, bits };
    }
  }
  return {
    settings: base,
    selection: { names },
    ...(Object.keys(overrides).length && { overrides }),
  };
}

/**
 * The settings a run of the solver's choice needs so that its BOPs are the budget's: exactly the
 * table's layers chosen, with the activation and other-layer bits its costs assume. A string
 * says why not (the panel changed since the table was measured).
 */
export function tableRunSettings(
  base: CompressSettings,
  table: Pick<SensitivityTable, 'layers' | 'actBits' | 'otherWeightBits'>,
  overrides: Record<string, LayerOverride>,
): CompressSettings | string {
  const bits = (b: number, what: string) => (b >= 32 ? `float ${what}` : `${b}-bit ${what}`);
  if (base.actBits !== table.actBits || base.otherBits !== table.otherWeightBits) {
    return (
      `The sensitivity table's costs assume ${bits(table.actBits, 'activations')} and ` +
      `${bits(table.otherWeightBits, 'other layers')}; the panel now says ` +
      `${bits(base.actBits, 'activations')} and ${bits(base.otherBits, 'other layers')}. ` +
      'Set them back or measure sensitivity again.'
    );
  }
  return {
    ...base,
    layerMode: 'selected',
    selectedLayers: table.layers.map((l) => l.name),
    overrides,
  };
}
