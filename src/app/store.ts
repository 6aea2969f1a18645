// The page's state: ids, settings, summaries and progress. Tensors never come here; they stay in
// the model worker under `model.modelId`.
import { create } from 'zustand';
import type { ModelOverview, RuntimeCheck } from './bridge/modelTypes.ts';

/** One progress shape for every long operation (transformers.js style). */
export interface LoadProgress {
  status: 'downloading' | 'reading' | 'parsing' | 'inferring';
  fileName: string;
  loaded: number;
  total: number;
  /** In [0, 1]; null while the step cannot tell how far it is (parsing). */
  progress: number | null;
}

export type RuntimeState =
  | { status: 'idle' }
  | { status: 'checking' }
  | ({ status: 'ready' } & RuntimeCheck)
  | { status: 'failed'; message: string };

export type LayerSortKey = 'index' | 'name' | 'op' | 'params' | 'macs' | 'factorizable';

export interface LayerSort {
  key: LayerSortKey;
  descending: boolean;
}

export interface AppState {
  model: ModelOverview | null;
  loading: LoadProgress | null;
  /** A user-facing problem (bad file, failed step); the loaded model stays as it was. */
  error: string | null;
  runtime: RuntimeState;
  layerSort: LayerSort;
}

export const useAppStore = create<AppState>(() => ({
  model: null,
  loading: null,
  error: null,
  runtime: { status: 'idle' },
  layerSort: { key: 'index', descending: false },
}));

export function dismissError(): void {
  useAppStore.setState({ error: null });
}

// A new column starts with what matters most on top: the biggest numbers, factorizable first.
const startsDescending: Record<LayerSortKey, boolean> = {
  index: false,
  name: false,
  op: false,
  params: true,
  macs: true,
  factorizable: true,
};

/** Clicking the sorted column flips the direction. */
export function sortLayersBy(key: LayerSortKey): void {
  const { layerSort } = useAppStore.getState();
  const descending = layerSort.key === key ? !layerSort.descending : startsDescending[key];
  useAppStore.setState({ layerSort: { key, descending } });
}
