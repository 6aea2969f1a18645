// "Measure sensitivity" and the budget slider (issue #15): each chosen layer compressed alone by
// each option of a menu, measured in the sensitivity worker on calibration images; then, for a
// budget, the solver's choice per layer written into the settings' overrides.
import * as Comlink from 'comlink';
import {
  type Budget,
  budgetSpan,
  DEFAULT_MENU,
  type OptionMenu,
  type OptionSensitivity,
  type SensitivityTable,
  storedBytes,
} from '../../core/allocate/index.ts';
import type { LatencyTable } from '../../core/cost/latencyTable.ts';
import { evalWorker } from '../bridge/evalClient.ts';
import type { ModelOverview } from '../bridge/modelTypes.ts';
import { sensitivityWorker, stopSensitivityWorker } from '../bridge/sensitivityClient.ts';
import { solveBudget } from '../bridge/solverClient.ts';
import { abortable, isAbort } from './abortable.ts';
import { setOverrides, useAllocation } from './allocationStore.ts';
import { ensureDatasetsLoaded, errorMessage } from './datasetActions.ts';
import { modelKey, originalBytes } from './pipeline.ts';
import { sensitivityStore } from './sensitivityStore.ts';
import { chosenLayers, type LayerOverride } from './settings.ts';
import { useSession, useWorkbench } from './store.ts';

export type MenuSize = 'small' | 'full';

/** The app's menus: QAF options and keep (PTQ options are the CLI's: a run has one method). */
export const MENUS: Record<MenuSize, Partial<OptionMenu>> = {
  small: { rates: [2, 4], bits: [4, 8], ptqBits: [], keep: true },
  full: { rates: DEFAULT_MENU.rates, bits: DEFAULT_MENU.bits, ptqBits: [], keep: true },
};

/**
 * Measurements by the core's sensitivityKey (a hash of the model's SHA-256, the images' hash,
 * every setting, the layer, the option and SENSITIVITY_VERSION): this session's in memory, and
 * every one in IndexedDB within a bound (sensitivityStore.ts), so a measurement survives a
 * reload and a re-measure is free.
 */
export const pageCache = sensitivityStore;

let controller: AbortController | null = null;

export function cancelSensitivity(): void {
  if (!controller) return;
  controller.abort();
  stopSensitivityWorker();
}

/** Which images measure: the calibration set, else the evaluation set (and it says so). */
function imageSource(): { datasetId: string; words: string } | null {
  const { calibration, evaluation } = useSession.getState().datasets;
  if (calibration) return { datasetId: calibration.datasetId, words: calibration.fileName };
  if (evaluation) {
    return {
      datasetId: evaluation.datasetId,
      words: `${evaluation.fileName} (no calibration set: evaluation images)`,
    };
  }
  return null;
}

export async function measureLayerSensitivity(
  model: ModelOverview,
  images: number,
  menu: MenuSize,
): Promise<void> {
  if (controller) return;
  const settings = useWorkbench.getState().settings;
  const names = chosenLayers(model.layers, settings).map((l) => l.name);
  const set = useAllocation.setState;
  if (settings.method !== 'admm') {
    set({ status: 'failed', message: 'Sensitivity measures QAF options: choose QAF first.' });
    return;
  }
  if (names.length === 0) {
    set({ status: 'failed', message: 'No layer chosen: select layers in the table first.' });
    return;
  }
  controller = new AbortController();
  const { signal } = controller;
  const startedAt = performance.now();
  set({ status: 'running', progress: 0, etaMs: null, detail: 'loading images', message: null });
  try {
    await ensureDatasetsLoaded();
    const source = imageSource();
    if (!source) throw new Error('Load calibration or evaluation images first.');
    const bytes = (await originalBytes(model)).slice().buffer;
    const spec = useWorkbench.getState().evalSettings.spec ?? undefined;
    const batches = await abortable(
      evalWorker().sensitivityBatches(
        Comlink.transfer(bytes, [bytes]),
        source.datasetId,
        images,
        spec,
      ),
      signal,
    );
    const modelBytes = (await originalBytes(model)).slice().buffer;
    const table = await abortable(
      sensitivityWorker().measure(
        Comlink.transfer(
          {
            modelBytes,
            batches,
            selection: { names },
            menu: MENUS[menu],
            calibrate: settings.calibrate,
            otherWeightBits: settings.otherBits,
            actBits: settings.actBits,
          },
          [modelBytes],
        ),
        Comlink.proxy(pageCache),
        Comlink.proxy((e) => {
          // Comlink delivers events late: one after the pass ended must not overwrite its result.
          if (controller?.signal !== signal) return;
          set({
            progress: e.progress,
            etaMs: e.etaMs,
            ...(e.layer && { detail: `${e.layer}: ${e.option} (${e.loaded}/${e.total})` }),
          });
        }),
      ),
      signal,
    );
    const seconds = (performance.now() - startedAt) / 1000;
    set({
      status: 'done',
      progress: 1,
      etaMs: 0,
      table,
      modelKey: modelKey(model),
      detail:
        `${table.layers.length} layer${table.layers.length === 1 ? '' : 's'} x ${table.layers[0]?.options.length ?? 0} options on ` +
        `${table.images} images of ${source.words}: ${table.measured} measured, ` +
        `${table.cached} reused, ${seconds.toFixed(1)} s`,
    });
  } catch (err) {
    set(
      isAbort(err)
        ? { status: 'cancelled', detail: 'cancelled', etaMs: null }
        : { status: 'failed', message: errorMessage(err), etaMs: null },
    );
  } finally {
    controller = null;
  }
}

/** The overrides of a solved budget: each layer's option as the layer table shows it. */
export function overridesOf(choices: { layer: string; option: OptionSensitivity }[]) {
  const out: Record<string, LayerOverride> = {};
  for (const { layer, option } of choices) {
    const o = option.option;
    out[layer] = o === 'keep' ? 'keep' : { rate: o.rate, bits: o.bits };
  }
  return out;
}

/**
 * Solves the budget in the solver worker and writes the choice into the overrides; a budget no
 * allocation meets is said. The slider shows the budget at once; a later move's answer wins.
 * A latency budget needs the layers' latency table (latencyActions.ts). A BOP budget takes the
 * store's size cap as its second limit, when one is set (a BOP budget alone can pick 5-7-bit
 * options, which the file stores in 8-bit containers).
 */
export async function applyBudget(
  table: SensitivityTable,
  budget: Budget,
  latency?: LatencyTable,
): Promise<void> {
  const asked = ++budgetMoves;
  const cap = useAllocation.getState().sizeCap;
  const also: Budget | undefined =
    budget.kind === 'bops' && cap !== null ? { kind: 'size', bytes: cap } : undefined;
  useAllocation.setState({ budget });
  try {
    const answer = await solveBudget(table, budget, latency, also);
    if (answer === null || asked !== budgetMoves) return;
    if (!answer.ok) {
      useAllocation.setState({ budgetMessage: answer.message, solved: null });
      return;
    }
    const { choices, totals, solver } = answer.solved;
    setOverrides(overridesOf(choices));
    useAllocation.setState({
      budgetMessage: null,
      solved: {
        bopPercent: totals.bopPercent,
        weightBytes: totals.storedBytes,
        ms: solver.ms,
        exact: solver.exact,
        latencyMs: totals.latencyMs,
      },
    });
  } catch (err) {
    if (asked === budgetMoves) {
      useAllocation.setState({ budgetMessage: errorMessage(err), solved: null });
    }
  }
}

/** Counts budget moves, so only the latest one's answer is applied. */
let budgetMoves = 0;

/** The cheapest and dearest reachable whole-model cost in the budget's unit (ms for latency). */
export function budgetRange(
  table: SensitivityTable,
  kind: 'bops' | 'size' | 'latency',
  latency?: LatencyTable,
) {
  if (kind === 'latency') return budgetSpan(table, { kind: 'latency', ms: 1 }, latency);
  const cost = (o: OptionSensitivity) => (kind === 'bops' ? o.bops : storedBytes(o));
  const sum = (pick: (xs: number[]) => number) =>
    table.layers.reduce((s, l) => s + pick(l.options.map(cost)), 0);
  const unit = (v: number) =>
    kind === 'bops'
      ? (100 * (v + table.fixed.bops)) / table.floatBops
      : v + storedBytes(table.fixed);
  return {
    min: unit(sum((xs) => Math.min(...xs))),
    max: unit(sum((xs) => Math.max(...xs))),
  };
}
