// The allocation value (src/core/factor/modelJobs.ts) as a file: JSON read with every field
// checked, and validated against a model before any work starts, so a bad file fails in
// milliseconds with the layer's name instead of minutes later inside ADMM. The writer lives in
// the pipeline (allocationJson), which puts the same JSON into the compressed model's metadata.

import { isMethodId, METHOD_IDS, methodSpec } from '../factor/methods/index.ts';
import { type Allocation, type JobSettings, selectLayers } from '../factor/modelJobs.ts';
import type { LayerInfo } from '../onnx/layers.ts';
import {
  ALLOCATION_FORMAT,
  ALLOCATION_FORMAT_VERSION,
  allocationJson,
} from '../pipeline/compressModel.ts';
import { optionRank } from './options.ts';

export { ALLOCATION_METADATA_KEY, allocationJson } from '../pipeline/compressModel.ts';

/** A malformed or unusable allocation; `problems` lists every one found, layers by name. */
export class AllocationError extends RangeError {
  override name = 'AllocationError';
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1
        ? `allocation: ${problems[0]}`
        : `allocation: ${problems.length} problems: ${problems.join('; ')}`,
    );
  }
}

type Json = Record<string, unknown>;

const SETTING_KEYS = new Set([
  'method',
  'rate',
  'rank',
  'bits',
  'preset',
  'seed',
  'perChannel',
  'scales',
]);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field checks of (partial) job settings; `where` names them in messages. */
function readSettings(value: unknown, where: string, problems: string[], partial: boolean) {
  if (!isObject(value)) {
    problems.push(`${where} must be an object`);
    return null;
  }
  const out: Partial<JobSettings> = {};
  for (const key of Object.keys(value)) {
    if (!SETTING_KEYS.has(key)) problems.push(`${where}.${key} is not a setting`);
  }
  const v = value;
  if (v.method !== undefined || !partial) {
    if (typeof v.method !== 'string' || !isMethodId(v.method)) {
      problems.push(`${where}.method must be one of ${METHOD_IDS.join(', ')}`);
    } else out.method = v.method;
  }
  const num = (key: 'rate' | 'rank' | 'bits' | 'seed', integer: boolean, required: boolean) => {
    const x = v[key];
    if (x === undefined) {
      if (required) problems.push(`${where}.${key} is required`);
      return;
    }
    if (typeof x !== 'number' || !Number.isFinite(x) || (integer && !Number.isInteger(x))) {
      problems.push(`${where}.${key} must be ${integer ? 'an integer' : 'a number'}`);
    } else out[key] = x;
  };
  num('rate', false, false);
  num('rank', true, false);
  num('bits', true, !partial);
  num('seed', true, false);
  if (v.preset !== undefined) {
    if (v.preset !== 'default' && v.preset !== 'published') {
      problems.push(`${where}.preset must be "default" or "published"`);
    } else out.preset = v.preset;
  }
  if (v.perChannel !== undefined) {
    if (typeof v.perChannel !== 'boolean') problems.push(`${where}.perChannel must be true/false`);
    else out.perChannel = v.perChannel;
  }
  if (v.scales !== undefined) {
    if (v.scales !== 'factor' && v.scales !== 'component') {
      problems.push(`${where}.scales must be "factor" or "component"`);
    } else out.scales = v.scales;
  }
  return out;
}

function readSelection(value: unknown, problems: string[]): Allocation['selection'] {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    problems.push('selection must be an object');
    return undefined;
  }
  const selection: NonNullable<Allocation['selection']> = {};
  for (const key of Object.keys(value)) {
    if (key !== 'layers' && key !== 'names' && key !== 'spatialOnly')
      problems.push(`selection.${key} is not a selection field`);
  }
  const { layers, names, spatialOnly } = value;
  if (layers !== undefined) {
    const source = isObject(layers) ? layers.source : layers;
    const flags = isObject(layers) ? (layers.flags ?? '') : '';
    try {
      if (typeof source !== 'string' || typeof flags !== 'string') throw new Error();
      selection.layers = new RegExp(source, flags);
    } catch {
      problems.push('selection.layers must be a regular expression ("source" or {source, flags})');
    }
  }
  if (names !== undefined) {
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
      problems.push('selection.names must be a list of layer names');
    } else selection.names = names as string[];
  }
  if (spatialOnly !== undefined) {
    if (typeof spatialOnly !== 'boolean') problems.push('selection.spatialOnly must be true/false');
    else selection.spatialOnly = spatialOnly;
  }
  return selection;
}

/** The model an allocation file was made for (`qaf allocate` writes it; optional). */
export interface AllocationModel {
  sha256: string;
  /** The model file's name when the allocation was made, for messages. */
  file?: string;
}

function readModelField(value: unknown, problems: string[]): AllocationModel | null {
  if (value === undefined) return null;
  if (
    !isObject(value) ||
    typeof value.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(value.sha256)
  ) {
    problems.push('model must be {"sha256": "<64 hex digits>", "file": "<name>"}');
    return null;
  }
  return {
    sha256: value.sha256,
    ...(typeof value.file === 'string' && { file: value.file }),
  };
}

/** Reads an allocation file (allocationJson's format); throws AllocationError listing problems. */
export function parseAllocation(text: string): Allocation {
  return parseAllocationFile(text).allocation;
}

/** An allocation file with the model it names, if it names one. */
export function parseAllocationFile(text: string): {
  allocation: Allocation;
  model: AllocationModel | null;
} {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new AllocationError([`not JSON (${(err as Error).message})`]);
  }
  if (!isObject(doc)) throw new AllocationError(['the file must hold one JSON object']);
  const problems: string[] = [];
  if (doc.format !== undefined && doc.format !== ALLOCATION_FORMAT)
    problems.push(`format is "${String(doc.format)}", expected "${ALLOCATION_FORMAT}"`);
  if (doc.version !== undefined && doc.version !== ALLOCATION_FORMAT_VERSION)
    problems.push(`version ${String(doc.version)} is not ${ALLOCATION_FORMAT_VERSION}`);
  for (const key of Object.keys(doc)) {
    if (!['format', 'version', 'model', 'settings', 'selection', 'overrides'].includes(key))
      problems.push(`"${key}" is not an allocation field`);
  }
  const model = readModelField(doc.model, problems);
  const settings = readSettings(doc.settings, 'settings', problems, false);
  const selection = readSelection(doc.selection, problems);
  let overrides: Record<string, Partial<JobSettings> | 'keep'> | undefined;
  if (doc.overrides !== undefined) {
    if (!isObject(doc.overrides)) problems.push('overrides must be an object of layer names');
    else {
      overrides = {};
      for (const [name, value] of Object.entries(doc.overrides)) {
        if (value === 'keep') overrides[name] = 'keep';
        else {
          const o = readSettings(value, `overrides["${name}"]`, problems, true);
          if (o) overrides[name] = o;
        }
      }
    }
  }
  if (problems.length) throw new AllocationError(problems);
  const allocation: Allocation = {
    settings: settings as JobSettings,
    ...(selection && { selection }),
    ...(overrides && { overrides }),
  };
  return { allocation, model };
}

/**
 * The file text of an allocation (pretty-printed; the metadata entry is the compact form). With
 * `model`, the file names the model it was made for, so it is not applied to another.
 */
export function formatAllocation(allocation: Allocation, model?: AllocationModel): string {
  if (!model) return `${allocationJson(allocation, 2)}\n`;
  const { format, version, ...rest } = JSON.parse(allocationJson(allocation));
  return `${JSON.stringify({ format, version, model, ...rest }, null, 2)}\n`;
}

/**
 * Checks an allocation against a model's layers: every named layer exists, every override is
 * for a selected layer, and every selected layer can take its merged settings (method applies,
 * bits in the method's range, rank between 1 and the layer's maximum). Throws AllocationError
 * listing all problems, each naming its layer. Returns the selected layers.
 */
export function validateAllocation(
  layers: readonly LayerInfo[],
  allocation: Allocation,
): LayerInfo[] {
  const problems: string[] = [];
  const known = new Set(layers.map((l) => l.name));
  for (const name of allocation.selection?.names ?? []) {
    if (!known.has(name)) problems.push(`no layer named "${name}" in this model (selection)`);
  }
  let selected: LayerInfo[] = [];
  try {
    methodSpec(allocation.settings.method);
    const names = allocation.selection?.names?.filter((n) => known.has(n));
    selected = selectLayers(layers, allocation.settings.method, {
      ...allocation.selection,
      ...(names && { names }),
    });
  } catch (err) {
    problems.push((err as Error).message);
  }
  const selectedNames = new Set(selected.map((l) => l.name));
  const overrides = allocation.overrides ?? {};
  for (const name of Object.keys(overrides)) {
    if (!known.has(name)) problems.push(`no layer named "${name}" in this model (overrides)`);
    else if (!selectedNames.has(name))
      problems.push(`layer "${name}": has an override but the selection leaves it out`);
  }
  for (const layer of selected) {
    const override = overrides[layer.name];
    if (override === 'keep') continue;
    const merged = { ...allocation.settings, ...override };
    if (!isMethodId(merged.method)) {
      problems.push(`layer "${layer.name}": unknown method '${merged.method}'`);
      continue;
    }
    const rank = optionRank(layer, merged);
    if (rank.error !== null) problems.push(`layer "${layer.name}": ${rank.error}`);
  }
  if (!problems.length && selected.every((l) => overrides[l.name] === 'keep')) {
    problems.push('no layer to compress: the selection is empty or every layer is kept');
  }
  if (problems.length) throw new AllocationError(problems);
  return selected;
}
