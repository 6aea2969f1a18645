// The workbench's state beyond the opened model. Settings, result rows and sweep rows persist
// in localStorage through storage.ts (summaries only: compressed bytes stay in memory and are
// rebuilt on demand); datasets and the progress of running steps are per session.
import { create } from 'zustand';
import { type PersistStorage, persist, type StorageValue } from 'zustand/middleware';
import type { PreprocessSpec } from '../../core/data/types.ts';
import type { SweepRow } from '../../core/sweep/types.ts';
import type { ArraysAgreement, DatasetSummary } from '../bridge/evalTypes.ts';
import { readJson, removeItem, writeBounded } from '../storage.ts';
import { type CompressSettings, DEFAULT_SETTINGS } from './settings.ts';
import { DEFAULT_SWEEP_CHOICE, type SweepChoice } from './sweepGrid.ts';

export interface EvalSettings {
  subset: 'quick' | 'full';
  /** A smaller stratified subset (200 or 500 images) for fast looks; null uses `subset`. */
  limit: number | null;
  /** The user's preprocessing; null uses the spec guessed from the model input. */
  spec: PreprocessSpec | null;
}

export interface LatencySummary {
  median: number;
  p90: number;
}

export interface EvalSummary {
  accuracy: number | null;
  top5: number | null;
  agreement: number | null;
  klDiv: number | null;
  images: number;
  latencyMs: LatencySummary | null;
  referenceLatencyMs: LatencySummary | null;
  threads: number;
}

export interface LayerSummary {
  name: string;
  rank: number;
  error: number;
}

/** One compressed configuration: what was asked and what it measured. */
export interface ResultRow {
  id: string;
  createdAt: number;
  modelFileName: string;
  settings: CompressSettings;
  /** Layers compressed, in graph order. */
  layers: LayerSummary[];
  calibrated: boolean;
  meanError: number;
  bopPercent: number;
  params: number;
  sizeBytes: number;
  floatSizeBytes: number;
  evaluation: EvalSummary | null;
  /** Name of the evaluation file, when evaluated. */
  dataFileName: string | null;
  /** SHA-256 of the evaluation file (the charts' image set); absent on rows saved before. */
  dataHash?: string | null;
  /** Where the calibration images came from, e.g. "calibrated on 256 of your images, evaluated
   * on the other 744"; absent when not calibrated (and on rows saved before). */
  calibration?: string | null;
  /** QAF's objective in words when data-aware, e.g. "data-aware: solved for the layers' inputs
   * on 1,024 images"; absent when published (and on rows saved before). */
  objective?: string | null;
  /** SHA-256 of the model file: the model's run history (absent on rows saved before). */
  modelHash?: string | null;
  /** The written model run next to the original and an 8-bit PTQ of the same layers (absent on
   * rows saved before). */
  check?: CheckSummary | null;
  /** Without labelled images: agreement with the original on the user's arrays (never an
   * accuracy); absent when evaluated on images, without arrays, and on rows saved before. */
  arrays?: ArraysAgreement | null;
  /**
   * A point of a sweep run one by one as runs: on the user's arrays, or of a budget sweep (then
   * `budgetPercent` is its BOP budget); absent otherwise.
   */
  sweep?: boolean;
  budgetPercent?: number;
}

/** The pipeline's check of a written model: failed when its outputs differ far more than an
 * 8-bit PTQ of the same layers (src/core/eval/verdict.ts); `text` holds the numbers. */
export interface CheckSummary {
  ok: boolean;
  text: string;
  /** The verdict in one sentence (what failed, against the peer's figure); rows kept before it
   * was recorded have none. */
  reason?: string;
}

/** A sweep row as the charts keep it: whose model it is, and where it was measured. */
export type StoredSweepRow = SweepRow & {
  modelFileName: string;
  /**
   * Set on points measured in advance (the demo's public/demo/sweep.json): how they were
   * measured. They only count for the evaluation data they were measured on (dataHash).
   */
  precomputed?: string;
  /** SHA-256 of the evaluation file; with `images`, the image set (absent on older rows). */
  dataHash?: string;
  /** QAF's objective in the sweep that measured the row (absent on older rows). */
  objective?: 'data' | 'published';
  /** Images of the separate calibration set the sweep took (absent: none, or older rows). */
  calibrationImages?: number;
};

/** Float-model accuracy per model + data + image count (the charts' reference line). */
export type Baselines = Record<string, { accuracy: number; images: number }>;

export interface WorkbenchState {
  settings: CompressSettings;
  evalSettings: EvalSettings;
  results: ResultRow[];
  sweepRows: StoredSweepRow[];
  baselines: Baselines;
  /** What "Run baseline sweep" measures. */
  sweepChoice: SweepChoice;
  chartView: ChartView;
}

/** How the trade-off charts are shown; kept across reloads. */
export interface ChartView {
  /** Legend items switched off: 'm:<method>', 'b:<bits>', 'c:cal', 'c:uncal', 'runs'. */
  hidden: string[];
  /** Only the points on the Pareto front. */
  paretoOnly: boolean;
  /** One front per method instead of one over all methods. */
  frontPerMethod: boolean;
  /** Accuracy axis 0-100 % instead of the measured range that matters. */
  yFull: boolean;
  /** Log scale on the size and compute axes. */
  logX: boolean;
  /** The image set shown (chartData.ts imageSetKey); null picks one. */
  imageSet: string | null;
}

export const DEFAULT_CHART_VIEW: ChartView = {
  hidden: [],
  paretoOnly: false,
  frontPerMethod: false,
  yFull: false,
  logX: false,
  imageSet: null,
};

type Stored = StorageValue<WorkbenchState>;

const jsonChars = new WeakMap<object, number>();

/** Characters a row adds to the stored JSON (rows are immutable: measured once). */
function rowChars(row: object): number {
  let n = jsonChars.get(row);
  if (n === undefined) {
    n = JSON.stringify(row).length + 1;
    jsonChars.set(row, n);
  }
  return n;
}

/** How many of `rows`, oldest first, make up at least `chars` characters (all, if they don't). */
function oldestWorth<T extends object>(rows: readonly T[], chars: number): number {
  let n = 0;
  for (let freed = 0; n < rows.length && freed < chars; n++) freed += rowChars(rows[n]);
  return n;
}

/** Drops the oldest result rows, then the oldest sweep rows, worth `chars`; null if none are left. */
export function dropOldestRows(value: Stored, chars: number): Stored | null {
  const { results, sweepRows } = value.state;
  if (results.length === 0 && sweepRows.length === 0) return null;
  const fromResults = oldestWorth(results, chars);
  const freed = results.slice(0, fromResults).reduce((sum, r) => sum + rowChars(r), 0);
  const fromSweeps = fromResults < results.length ? 0 : oldestWorth(sweepRows, chars - freed);
  const state = {
    ...value.state,
    results: results.slice(fromResults),
    sweepRows: sweepRows.slice(fromSweeps),
  };
  return { ...value, state };
}

// Never throws: a full quota trims the oldest rows and shows StorageNotice once.
const workbenchStorage: PersistStorage<WorkbenchState> = {
  getItem: (name) => readJson<Stored>(name),
  setItem: (name, value) => {
    writeBounded({ key: name, value, shrink: dropOldestRows });
  },
  removeItem,
};

export const useWorkbench = create<WorkbenchState>()(
  persist(
    () => ({
      settings: DEFAULT_SETTINGS,
      evalSettings: { subset: 'quick', limit: null, spec: null } as EvalSettings,
      results: [] as ResultRow[],
      sweepRows: [] as WorkbenchState['sweepRows'],
      baselines: {} as Baselines,
      sweepChoice: DEFAULT_SWEEP_CHOICE,
      chartView: DEFAULT_CHART_VIEW,
    }),
    {
      name: 'qaf-workbench',
      version: 1,
      storage: workbenchStorage,
      // Settings saved by an older version gain the fields added since.
      merge: (saved, current) => {
        const s = (saved ?? {}) as Partial<WorkbenchState>;
        return {
          ...current,
          ...s,
          settings: { ...current.settings, ...s.settings },
          evalSettings: { ...current.evalSettings, ...s.evalSettings },
          chartView: { ...current.chartView, ...s.chartView },
        };
      },
    },
  ),
);

export function updateSettings(patch: Partial<CompressSettings>): void {
  useWorkbench.setState((s) => ({ settings: { ...s.settings, ...patch } }));
}

export function updateEvalSettings(patch: Partial<EvalSettings>): void {
  useWorkbench.setState((s) => ({ evalSettings: { ...s.evalSettings, ...patch } }));
}

export function patchChartView(patch: Partial<ChartView>): void {
  useWorkbench.setState((s) => ({ chartView: { ...s.chartView, ...patch } }));
}

/** The storage notice's "Clear stored results": result and sweep rows go; settings stay. */
export function clearStoredResults(): void {
  useWorkbench.setState({ results: [], sweepRows: [] });
}

export function removeResult(id: string): void {
  useWorkbench.setState((s) => ({ results: s.results.filter((r) => r.id !== id) }));
}

export type DatasetRole = 'evaluation' | 'calibration';

export interface DatasetLoad {
  fileName: string;
  status: string;
  progress: number | null;
}

/** A step of the run, as the progress panel shows it. */
export type RunPhase =
  | 'idle'
  | 'compressing'
  | 'rewriting'
  | 'calibrating'
  | 'evaluating'
  | 'done'
  | 'cancelled'
  | 'failed';

export interface LayerRunState {
  status: string;
  outerStep: number;
  error: number;
  progress: number;
}

export interface RunState {
  phase: RunPhase;
  /** What the run does now, in words. */
  detail: string;
  /** Overall progress in [0, 1]. */
  progress: number;
  layers: Record<string, LayerRunState>;
  layerOrder: string[];
  /** Progress events seen (the stall watchdog counts them; not shown). */
  events: number;
  /** When the run started (performance.now()), for its ETA. */
  startedAt?: number;
  message: string | null;
  /** No progress for a long while (stallWatchdog.ts): the panel offers Retry / Cancel. */
  stalled: boolean;
  /** Where the run's calibration images came from, in words (set once the model is built). */
  calibration?: string | null;
  /** QAF's objective in words when data-aware (set once the layers are solved). */
  objective?: string | null;
  /** Too few calibration images for stable statistics. */
  calibrationWarning?: string | null;
  /** The written model's check, once built. */
  check?: CheckSummary | null;
  /** One layer bounds the run's time on this pool (compressPool planNote), or null. */
  planNote?: string | null;
  /** What the weight form and the latency guard did to the written file, once built. */
  formNotes?: string[];
}

export interface SweepState {
  running: boolean;
  detail: string;
  progress: number;
  status: 'idle' | 'running' | 'done' | 'cancelled' | 'failed';
  message: string | null;
}

export interface SessionState {
  datasets: Record<DatasetRole, DatasetSummary | null>;
  datasetLoads: Record<DatasetRole, DatasetLoad | null>;
  datasetErrors: Record<DatasetRole, string | null>;
  run: RunState;
  sweep: SweepState;
  kernelsName: string | null;
  /** The chart point last clicked and the result row it highlights. */
  chartSelection: ChartSelection;
  /** The user's arrays for the open model's inputs (.npy / .npz): the check runs on them. */
  inputArrays: InputArrays | null;
  /** Why the last arrays were refused, for the model they were given to. */
  inputArraysError: { modelId: string; text: string } | null;
}

/**
 * What the page shows of the user's arrays; the typed arrays themselves stay out of the store
 * (style guide: ids and summaries here), held by inputArrays.ts.
 */
export interface InputArrays {
  /** The model they were matched to: another model opened does not take them. */
  modelId: string;
  fileNames: string[];
  /** "32 samples: audio [16000] float32". */
  summary: string;
}

export interface ChartSelection {
  pointId: string | null;
  resultId: string | null;
}

export const IDLE_RUN: RunState = {
  phase: 'idle',
  detail: '',
  progress: 0,
  layers: {},
  layerOrder: [],
  events: 0,
  message: null,
  stalled: false,
};

export const useSession = create<SessionState>()(() => ({
  datasets: { evaluation: null, calibration: null },
  datasetLoads: { evaluation: null, calibration: null },
  datasetErrors: { evaluation: null, calibration: null },
  run: IDLE_RUN,
  sweep: { running: false, detail: '', progress: 0, status: 'idle', message: null },
  kernelsName: null,
  chartSelection: { pointId: null, resultId: null },
  inputArrays: null,
  inputArraysError: null,
}));

export function patchRun(patch: Partial<RunState>): void {
  useSession.setState((s) => ({ run: { ...s.run, ...patch } }));
}

export function patchSweep(patch: Partial<SweepState>): void {
  useSession.setState((s) => ({ sweep: { ...s.sweep, ...patch } }));
}

export function isBusy(run: RunState): boolean {
  return !['idle', 'done', 'cancelled', 'failed'].includes(run.phase);
}
