// What the UI can do with models: open a file, give input shapes, check the runtime. Each step
// updates the store; failures become a readable error and leave the loaded model as it was.
import { createThrottledProgress } from '../core/util/progress.ts';
import {
  modelWorker,
  onModelWorkerCrash,
  openModelBytes,
  restartModelWorker,
} from './bridge/modelClient.ts';
import type { InputShapes } from './bridge/modelTypes.ts';
import { useAppStore } from './store.ts';
import { abortable, isAbort } from './workbench/abortable.ts';

// Only the latest open counts: an older one that finishes later is dropped.
let latestOpen = 0;
/** The open in progress, so Cancel can stop it. */
let opening: AbortController | null = null;
/** The file of the open model, to reopen it when a cancelled parse took the worker down. */
let openFile: File | null = null;

// The models lived in the worker, so they are gone with it; a fresh worker starts on next use.
onModelWorkerCrash((message) => {
  latestOpen++;
  useAppStore.setState({
    model: null,
    loading: null,
    runtime: { status: 'idle' },
    error: `The model worker stopped (${message}). Open the model again.`,
  });
});

export async function openModelFile(file: File): Promise<void> {
  const openId = ++latestOpen;
  const isLatest = () => openId === latestOpen;
  opening?.abort();
  const controller = new AbortController();
  opening = controller;
  useAppStore.setState({ error: null });
  try {
    const buffer = await readFileBytes(file, isLatest);
    if (!isLatest()) return;
    useAppStore.setState({
      loading: { status: 'parsing', fileName: file.name, loaded: 0, total: 0, progress: null },
    });
    const overview = await abortable(openModelBytes(buffer, file.name), controller.signal);
    if (!isLatest()) {
      void modelWorker().close(overview.modelId);
      return;
    }
    const previous = useAppStore.getState().model;
    openFile = file;
    useAppStore.setState({ model: overview, loading: null, runtime: { status: 'idle' } });
    if (previous) void modelWorker().close(previous.modelId);
    void checkRuntime(overview.modelId);
  } catch (err) {
    if (!isLatest() || isAbort(err)) return;
    useAppStore.setState({
      loading: null,
      error: `Could not open ${file.name}: ${errorMessage(err)}`,
    });
  } finally {
    if (opening === controller) opening = null;
  }
}

/**
 * Stops the model being read or parsed. A parse cannot be interrupted, so the worker is
 * terminated; the model that was open before lived there too and is opened again.
 */
export function cancelModelOpen(): void {
  const loading = useAppStore.getState().loading;
  if (!opening || !loading) return;
  latestOpen++;
  opening.abort();
  opening = null;
  useAppStore.setState({ loading: null });
  if (loading.status === 'reading') return;
  restartModelWorker();
  const previous = openFile;
  openFile = null;
  useAppStore.setState({ model: null, runtime: { status: 'idle' } });
  if (previous) void openModelFile(previous);
}

/** Reads the whole file in chunks so a 100 MB model shows how far along it is. */
async function readFileBytes(file: File, isLatest: () => boolean): Promise<ArrayBuffer> {
  const bytes = new Uint8Array(file.size);
  const report = createThrottledProgress('reading', file.size, (p) => {
    if (isLatest())
      useAppStore.setState({ loading: { ...p, status: 'reading', fileName: file.name } });
  });
  report(0);
  const reader = file.stream().getReader();
  let offset = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    if (!isLatest()) {
      void reader.cancel();
      break;
    }
    bytes.set(chunk.value, offset);
    offset += chunk.value.byteLength;
    report(offset);
  }
  return bytes.buffer;
}

/** Re-runs shape inference in the worker with the user's concrete input shapes. */
export async function applyInputShapes(inputShapes: InputShapes): Promise<void> {
  const model = useAppStore.getState().model;
  if (!model) return;
  useAppStore.setState({
    error: null,
    loading: { status: 'inferring', fileName: model.fileName, loaded: 0, total: 0, progress: null },
  });
  try {
    const overview = await modelWorker().reshape(model.modelId, inputShapes);
    if (useAppStore.getState().model?.modelId === model.modelId) {
      useAppStore.setState({ model: overview });
    }
    useAppStore.setState({ loading: null });
  } catch (err) {
    useAppStore.setState({
      loading: null,
      error: `Could not use these input shapes: ${errorMessage(err)}`,
    });
  }
}

/** Creates an onnxruntime-web session for the model, in the worker, to show it runs here. */
async function checkRuntime(modelId: string): Promise<void> {
  const isCurrent = () => useAppStore.getState().model?.modelId === modelId;
  useAppStore.setState({ runtime: { status: 'checking' } });
  try {
    const check = await modelWorker().checkRuntime(modelId);
    if (isCurrent()) useAppStore.setState({ runtime: { status: 'ready', ...check } });
  } catch (err) {
    if (isCurrent())
      useAppStore.setState({ runtime: { status: 'failed', message: errorMessage(err) } });
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
