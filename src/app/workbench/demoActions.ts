// "Try the demo": ResNet-20 (CIFAR-10) with an evaluation and a calibration set, bundled with the
// app under public/demo/ (scripts/makeDemo.mjs) and fetched from the app's own origin, so the
// demo works offline and never needs ../shared. It lands on a ready QAF rate 2 / 4-bit panel.

import type { SweepRow } from '../../core/sweep/types.ts';
import { openModelFile } from '../modelActions.ts';
import { useAppStore } from '../store.ts';
import { isAbort } from './abortable.ts';
import { errorMessage, loadDatasetFile } from './datasetActions.ts';
import { DEFAULT_SETTINGS } from './settings.ts';
import {
  type StoredSweepRow,
  updateEvalSettings,
  updateSettings,
  useSession,
  useWorkbench,
} from './store.ts';
import { sameRow } from './sweepActions.ts';

/** The bundled files and their sizes (for progress when the server sends no length). */
export const DEMO_FILES = {
  model: { name: 'resnet20_cifar10.onnx', sizeBytes: 1_093_637 },
  evaluation: { name: 'cifar10_test_1000.bin', sizeBytes: 3_073_000 },
  calibration: { name: 'cifar10_train_1024.bin', sizeBytes: 3_146_752 },
} as const;

/** The demo's default sweep measured in advance (scripts/makeDemoSweep.mjs); optional. */
export const DEMO_SWEEP = 'sweep.json';

interface DemoSweepFile {
  measuredWith: { command: string; date: string; node: string };
  points: SweepRow[];
  calibrationImages?: number;
  qafObjective?: { objective: 'data' | 'published' };
}

const LABEL = 'the demo (ResNet-20 + CIFAR-10 images)';
let downloading: AbortController | null = null;

export function demoUrl(name: string): string {
  return `${import.meta.env.BASE_URL}demo/${name}`;
}

/** Reads one response body, adding its bytes to the shared counter as they arrive. */
async function readBody(response: Response, onBytes: (count: number) => void): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    chunks.push(chunk.value);
    onBytes(chunk.value.byteLength);
  }
  const bytes = new Uint8Array(chunks.reduce((a, c) => a + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

async function fetchDemoFile(name: string, signal: AbortSignal, onBytes: (n: number) => void) {
  const response = await fetch(demoUrl(name), { signal });
  // A server's fallback page (index.html for unknown paths) is not the file either.
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok || type.includes('text/html')) {
    throw new Error(`${name} is missing from this build (HTTP ${response.status})`);
  }
  const bytes = await readBody(response, onBytes);
  return new File([bytes as Uint8Array<ArrayBuffer>], name);
}

/** Downloads the three files with one progress bar; null when cancelled. */
async function downloadDemo(signal: AbortSignal): Promise<File[] | null> {
  const files = Object.values(DEMO_FILES);
  const total = files.reduce((a, f) => a + f.sizeBytes, 0);
  let loaded = 0;
  const report = () =>
    useAppStore.setState({
      loading: {
        status: 'downloading',
        fileName: LABEL,
        loaded,
        total,
        progress: Math.min(1, loaded / total),
      },
    });
  report();
  const onBytes = (n: number) => {
    loaded += n;
    report();
  };
  try {
    return await Promise.all(files.map((f) => fetchDemoFile(f.name, signal, onBytes)));
  } catch (err) {
    if (isAbort(err) || signal.aborted) return null;
    throw err;
  }
}

/** Fetches the bundled demo, opens it and sets the panel to QAF, rate 2, 4 bits. */
export async function startDemo(): Promise<void> {
  if (downloading) return;
  const controller = new AbortController();
  downloading = controller;
  useAppStore.setState({ error: null });
  try {
    const files = await downloadDemo(controller.signal);
    if (!files) return;
    useAppStore.setState({ loading: null });
    const [model, evaluation, calibration] = files;
    updateSettings({ ...DEFAULT_SETTINGS, method: 'admm', sizeBy: 'rate', rate: 2, bits: 4 });
    updateEvalSettings({ subset: 'quick', limit: null, spec: null });
    await Promise.all([
      openModelFile(model),
      loadDatasetFile('evaluation', evaluation),
      loadDatasetFile('calibration', calibration),
    ]);
    await addPrecomputedSweep(model.name).catch((err) =>
      console.warn(`demo: no curves measured in advance (${errorMessage(err)})`),
    );
    // Land on the data and compression panels, the run button focused (in view), ready to go.
    document.getElementById('data-title')?.scrollIntoView({ block: 'start' });
    document.querySelector<HTMLButtonElement>('.compress-panel .button-primary')?.focus();
  } catch (err) {
    if (isAbort(err)) return;
    useAppStore.setState({ loading: null, error: `Could not load the demo: ${errorMessage(err)}` });
  } finally {
    if (downloading === controller) downloading = null;
  }
}

/**
 * Puts the demo's curves measured in advance on the charts, tagged with how they were measured
 * and the evaluation data they belong to. Points the browser has measured itself win; the next
 * "Run baseline sweep" replaces the rest.
 */
async function addPrecomputedSweep(modelFileName: string): Promise<void> {
  const response = await fetch(demoUrl(DEMO_SWEEP));
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok || type.includes('text/html')) throw new Error(`HTTP ${response.status}`);
  const file = (await response.json()) as DemoSweepFile;
  const dataHash = useSession.getState().datasets.evaluation?.dataHash;
  if (!dataHash || !Array.isArray(file.points)) throw new Error('unexpected sweep.json');
  const m = file.measuredWith;
  const precomputed = `${m.date}, qaf sweep in Node ${m.node}`;
  useWorkbench.setState((s) => {
    const mine = (r: StoredSweepRow) => r.modelFileName === modelFileName;
    const measuredHere = s.sweepRows.filter(
      (r) => mine(r) && !r.precomputed && r.images === file.points[0]?.images,
    );
    const added = file.points
      .filter((p) => !measuredHere.some((r) => sameRow(r, p)))
      .map((p) => ({
        ...p,
        cached: true,
        modelFileName,
        precomputed,
        dataHash,
        ...(file.qafObjective && { objective: file.qafObjective.objective }),
        ...(file.calibrationImages && { calibrationImages: file.calibrationImages }),
      }));
    return { sweepRows: [...s.sweepRows.filter((r) => !(mine(r) && r.precomputed)), ...added] };
  });
}

/** Stops the demo download (opening the files is the model's own Cancel). */
export function cancelDemo(): void {
  downloading?.abort();
  downloading = null;
  useAppStore.setState({ loading: null });
}

export function isDemoLoading(): boolean {
  return downloading !== null;
}
