// Each model keeps its own runs. A result row carries the SHA-256 of the model it came from;
// the results table shows the open model's rows only, and opening another model puts the
// previous one's runs away (with its run panel and chart selection) until that model, by
// hash, is opened again. Rows saved before the hash was kept match by file name.
import { create } from 'zustand';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { useAppStore } from '../store.ts';
import { originalBytes } from './pipeline.ts';
import { IDLE_RUN, isBusy, type ResultRow, useSession } from './store.ts';

const hashes = new Map<string, Promise<string>>();

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The model's SHA-256, once per opened model. */
export function modelHash(model: ModelOverview): Promise<string> {
  let hash = hashes.get(model.modelId);
  if (!hash) {
    hash = originalBytes(model).then(sha256Hex);
    hash.catch(() => hashes.delete(model.modelId));
    hashes.set(model.modelId, hash);
  }
  return hash;
}

/** The open model's hash once known (null while it is computed, or with no model open). */
export const useOpenModelHash = create<{ modelId: string | null; sha256: string | null }>(() => ({
  modelId: null,
  sha256: null,
}));

let watching = false;

/** Starts following model opens (idempotent; the app shell calls it once). */
export function watchModelSwitches(): void {
  if (watching) return;
  watching = true;
  const follow = (model: ModelOverview | null, previous: ModelOverview | null) => {
    if (model?.modelId === previous?.modelId) return;
    useOpenModelHash.setState({ modelId: model?.modelId ?? null, sha256: null });
    // The previous model's finished run and chart selection are put away with its rows.
    useSession.setState((s) => ({
      run: isBusy(s.run) ? s.run : IDLE_RUN,
      chartSelection: { pointId: null, resultId: null },
    }));
    if (!model) return;
    modelHash(model).then(
      (sha256) => {
        if (useOpenModelHash.getState().modelId === model.modelId)
          useOpenModelHash.setState({ sha256 });
      },
      () => undefined,
    );
  };
  follow(useAppStore.getState().model, null);
  useAppStore.subscribe((s, prev) => follow(s.model, prev.model));
}

/** Whether a row belongs to the open model (by hash; by file name for rows without one). */
export function isOpenModelRow(
  row: ResultRow,
  model: Pick<ModelOverview, 'fileName'>,
  sha256: string | null,
): boolean {
  if (row.modelHash && sha256) return row.modelHash === sha256;
  return row.modelFileName === model.fileName;
}

export interface OtherModelRuns {
  modelFileName: string;
  runs: number;
}

/** The runs put away, per model, for the line under the table. */
export function otherModelRuns(rows: readonly ResultRow[]): OtherModelRuns[] {
  const byModel = new Map<string, OtherModelRuns>();
  for (const row of rows) {
    const key = row.modelHash ?? row.modelFileName;
    const entry = byModel.get(key) ?? { modelFileName: row.modelFileName, runs: 0 };
    entry.runs++;
    byModel.set(key, entry);
  }
  return [...byModel.values()];
}
