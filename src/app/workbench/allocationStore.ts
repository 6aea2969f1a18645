// Per-layer overrides live in the persisted settings (settings.overrides), so a run, its result
// row and a rebuild all carry them; these are their edits. The sensitivity table and the budget
// of this session live in useAllocation (not persisted: a table is measured per session).
import { create } from 'zustand';
import type { Budget, SensitivityTable } from '../../core/allocate/index.ts';
import { useAppStore } from '../store.ts';
import { useOpenModelHash } from './modelHistory.ts';
import type { LayerOverride } from './settings.ts';
import { updateSettings, useWorkbench } from './store.ts';

type Fields = Exclude<LayerOverride, 'keep'>;

function withOverride(name: string, next: LayerOverride | null): void {
  const current = { ...(useWorkbench.getState().settings.overrides ?? {}) };
  if (next === null || (next !== 'keep' && Object.keys(next).length === 0)) delete current[name];
  else current[name] = next;
  updateSettings({ overrides: current, ...ownedByOpenModel() });
}

/** The open model's hash for settings.overridesModel, when known. */
function ownedByOpenModel(): { overridesModel?: string } {
  const sha256 = useOpenModelHash.getState().sha256;
  return sha256 ? { overridesModel: sha256 } : {};
}

/** Sets (or, with undefined, clears) one field of a layer's override; a kept layer is un-kept. */
export function setLayerField<K extends keyof Fields>(
  name: string,
  key: K,
  value: Fields[K] | undefined,
): void {
  const old = useWorkbench.getState().settings.overrides?.[name];
  const fields: Fields = old && old !== 'keep' ? { ...old } : {};
  // Rate and rank are two ways to give the same size: one replaces the other.
  if (key === 'rate') delete fields.rank;
  if (key === 'rank') delete fields.rate;
  if (value === undefined) delete fields[key];
  else fields[key] = value;
  withOverride(name, fields);
}

export function keepLayer(name: string, keep: boolean): void {
  withOverride(name, keep ? 'keep' : null);
}

export function resetLayer(name: string): void {
  withOverride(name, null);
}

/** Replaces every override at once (the budget solver's allocation); empty resets all. */
export function setOverrides(overrides: Record<string, LayerOverride>): void {
  updateSettings({ overrides, ...ownedByOpenModel() });
}

/** "Reset all to global": no override, and no budget said to be in force. */
export function resetAllOverrides(): void {
  updateSettings({ overrides: {} });
  useAllocation.setState({ budget: null, budgetMessage: null, solved: null });
}

/** Drops overrides naming layers the opened model lacks (left from another model). */
export function pruneOverrides(layerNames: readonly string[]): void {
  const current = useWorkbench.getState().settings.overrides ?? {};
  const known = new Set(layerNames);
  const kept = Object.fromEntries(Object.entries(current).filter(([n]) => known.has(n)));
  if (Object.keys(kept).length !== Object.keys(current).length) updateSettings({ overrides: kept });
}

// Overrides are kept by layer name: a model without those layers drops them when it opens.
useAppStore.subscribe((state, previous) => {
  if (state.model && state.model !== previous.model) {
    pruneOverrides(state.model.layers.map((l) => l.name));
  }
});

// ...and they belong to the model they were made for, by SHA-256: another model whose layers
// happen to share the names (ResNet-20 and ResNet-56 do) starts from the global settings, while
// the same model opened again (or after a reload) keeps them. Overrides saved before the hash was
// kept are adopted by the first model that has all their layers.
useOpenModelHash.subscribe((state, previous) => {
  if (!state.sha256 || state.sha256 === previous.sha256) return;
  const { overrides = {}, overridesModel } = useWorkbench.getState().settings;
  if (overridesModel === state.sha256) return;
  if (Object.keys(overrides).length > 0 && overridesModel !== undefined) {
    updateSettings({ overrides: {}, overridesModel: state.sha256 });
    useAllocation.setState({ budget: null, budgetMessage: null, solved: null });
  } else {
    updateSettings({ overridesModel: state.sha256 });
  }
});

/** Picks layers for "Selected in table" mode: all the method may compress, or none. */
export function selectLayers(names: readonly string[]): void {
  updateSettings({ layerMode: 'selected', selectedLayers: [...names] });
}

export interface AllocationSession {
  /** The sensitivity pass: its state, progress in [0, 1], time left and what it does now. */
  status: 'idle' | 'running' | 'done' | 'failed' | 'cancelled';
  progress: number;
  etaMs: number | null;
  detail: string;
  message: string | null;
  table: SensitivityTable | null;
  /** The model the table was measured on (pipeline.ts modelKey). */
  modelKey: string | null;
  /** The last budget the overrides were solved for, and what the solver found. */
  budget: Budget | null;
  /** Stored bytes a BOP budget's allocation must also keep within (null: no cap). */
  sizeCap: number | null;
  budgetMessage: string | null;
  /**
   * weightBytes: as the file stores them (what a size budget counts); latencyMs: the latency
   * table's prediction of a call, when the budget was on latency.
   */
  solved: {
    bopPercent: number;
    weightBytes: number;
    ms: number;
    exact: boolean;
    latencyMs?: number;
  } | null;
}

export const useAllocation = create<AllocationSession>()(() => ({
  status: 'idle',
  progress: 0,
  etaMs: null,
  detail: '',
  message: null,
  table: null,
  modelKey: null,
  budget: null,
  sizeCap: null,
  budgetMessage: null,
  solved: null,
}));
