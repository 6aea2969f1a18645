// "Measure latency" for a latency budget (issue #15 item 2, as the CLI's --budget latency=):
// each layer of the sensitivity table timed alone in onnxruntime-web, in every form its options
// give it (keep, factorized at each rank), plus the whole original model, in the sensitivity
// worker; cached per model and request in this session and in IndexedDB, so a reload does not
// time again. Timing on the page's machine is what the user's browser will see.
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { SensitivityTable } from '../../core/allocate/index.ts';
import {
  checkLatencyTable,
  type LatencyTable,
  latencyForms,
} from '../../core/cost/latencyTable.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { sensitivityWorker, stopSensitivityWorker } from '../bridge/sensitivityClient.ts';
import { abortable, isAbort } from './abortable.ts';
import { errorMessage } from './datasetActions.ts';
import { idbKeyValue } from './idbKeyValue.ts';
import { originalBytes } from './pipeline.ts';
import { outputForm } from './settings.ts';
import { useWorkbench } from './store.ts';

export interface LatencySession {
  status: 'idle' | 'running' | 'done' | 'failed' | 'cancelled';
  /** Layers timed of all, in [0, 1]. */
  progress: number;
  detail: string;
  message: string | null;
  table: LatencyTable | null;
  /** What the table was measured for (latencyRequestKey). */
  key: string | null;
}

export const useLatency = create<LatencySession>(() => ({
  status: 'idle',
  progress: 0,
  detail: '',
  message: null,
  table: null,
  key: null,
}));

/** Tables kept across reloads; a few KB each, the oldest dropped past this many. */
const MAX_KEPT_TABLES = 50;
const kept = idbKeyValue<{ table: LatencyTable; savedAt: number }>('qaf-latency');
const session = new Map<string, LatencyTable>();

interface Request {
  layers: { name: string; ranks: number[]; bits: number[] }[];
  otherWeightBits: number;
  /** The sensitivity table's: 8-bit activations run other kernels than float ones. */
  actBits: number;
  weightForm: ReturnType<typeof outputForm>['weightForm'];
}

/** What to time for `table`, the weights written in the app's form `weightForm`. */
export function latencyRequest(
  table: SensitivityTable,
  weightForm: Request['weightForm'],
): Request {
  return {
    layers: table.layers.map((l) => ({ name: l.name, ...latencyForms(l.options) })),
    otherWeightBits: table.otherWeightBits,
    actBits: table.actBits,
    // 8-bit activations keep the weights' DequantizeLinear nodes whatever the form asked.
    weightForm: table.actBits < 32 ? 'dequantize' : weightForm,
  };
}

function requestOf(table: SensitivityTable): Request {
  return latencyRequest(table, outputForm(useWorkbench.getState().settings).weightForm);
}

/**
 * The model, its layers with their ranks and code widths, the other layers' bits, the
 * activation bits and the weight form: one table.
 */
export function latencyRequestKey(table: SensitivityTable): string {
  return JSON.stringify({ model: table.modelSha256, ...requestOf(table) });
}

/** The latency table for the sensitivity table's layers, when measured (this session or kept). */
export async function knownLatency(table: SensitivityTable): Promise<LatencyTable | null> {
  const key = latencyRequestKey(table);
  const here = session.get(key);
  if (here) return here;
  const stored = await kept.get(key).catch(() => undefined);
  if (!stored) return null;
  try {
    const checked = checkLatencyTable(stored.table);
    session.set(key, checked);
    return checked;
  } catch {
    return null; // an older format: timed again
  }
}

async function keep(key: string, table: LatencyTable): Promise<void> {
  session.set(key, table);
  try {
    await kept.put(key, { table, savedAt: Date.now() });
    const all = await kept.entries();
    const oldest = all.sort((a, b) => a[1].savedAt - b[1].savedAt);
    for (const [k] of oldest.slice(0, Math.max(0, all.length - MAX_KEPT_TABLES))) {
      await kept.delete(k);
    }
  } catch {
    // Kept for this session only; the status line says the table was measured, not stored.
  }
}

/** Drops every kept latency table (with Clear measurements); the next latency budget times again. */
export async function clearLatency(): Promise<void> {
  session.clear();
  useLatency.setState({ status: 'idle', table: null, key: null, detail: '', message: null });
  try {
    for (const [key] of await kept.entries()) await kept.delete(key);
  } catch {
    // Nothing was kept (no IndexedDB).
  }
}

let controller: AbortController | null = null;

export function cancelLatency(): void {
  if (!controller) return;
  controller.abort();
  stopSensitivityWorker();
}

/** Shows a kept table for `table` at once, if there is one (no timing). */
export async function loadKnownLatency(table: SensitivityTable): Promise<void> {
  const known = await knownLatency(table);
  const key = latencyRequestKey(table);
  if (known && useLatency.getState().key !== key) {
    useLatency.setState({ status: 'done', table: known, key, detail: latencyDetail(known, true) });
  }
}

function latencyDetail(t: LatencyTable, reused: boolean): string {
  return (
    `${t.layers.length} layers timed alone in ${t.runtime} (${t.threads} thread${t.threads === 1 ? '' : 's'}, ` +
    `${t.clock} ms${t.actBits === 8 ? ', 8-bit activations' : ''}): the original model takes ${t.modelMs.toFixed(2)} ms a call` +
    (reused ? ' (kept from an earlier measurement)' : '')
  );
}

export async function measureLayerLatency(
  model: ModelOverview,
  table: SensitivityTable,
): Promise<void> {
  if (controller) return;
  const key = latencyRequestKey(table);
  const set = useLatency.setState;
  const known = await knownLatency(table);
  if (known) {
    set({ status: 'done', progress: 1, table: known, key, detail: latencyDetail(known, true) });
    return;
  }
  controller = new AbortController();
  const { signal } = controller;
  set({ status: 'running', progress: 0, detail: 'starting', message: null });
  try {
    const modelBytes = (await originalBytes(model)).slice().buffer;
    const measured = await abortable(
      sensitivityWorker().latency(
        Comlink.transfer({ modelBytes, ...requestOf(table) }, [modelBytes]),
        Comlink.proxy((done: number, total: number) => {
          if (controller?.signal !== signal) return;
          set({ progress: done / total, detail: `${done}/${total} layers timed` });
        }),
      ),
      signal,
    );
    await keep(key, measured);
    set({
      status: 'done',
      progress: 1,
      table: measured,
      key,
      detail: latencyDetail(measured, false),
    });
  } catch (err) {
    set(
      isAbort(err)
        ? { status: 'cancelled', detail: 'cancelled' }
        : { status: 'failed', message: errorMessage(err) },
    );
  } finally {
    controller = null;
  }
}
