// The evaluation worker: holds datasets (decoded images stay here, the page gets summaries) and
// runs onnxruntime-web evaluations. A thin comlink shell over src/core/data and src/core/eval.
import * as Comlink from 'comlink';
import { browserImageDecoder } from '../src/core/data/browserImageDecoder.ts';
import { loadDataset } from '../src/core/data/loadDataset.ts';
import { type SubsetName, subsetIndices } from '../src/core/data/subset.ts';
import type {
  Dataset,
  DatasetFormat,
  PreprocessSpec,
  ProgressCallback,
} from '../src/core/data/types.ts';
import { type EvalReport, evaluateModel } from '../src/core/eval/evaluate.ts';
import type { RuntimeOptions } from '../src/core/eval/session.ts';

export interface DatasetSummary {
  datasetId: string;
  fileName: string;
  format: DatasetFormat;
  count: number;
  width: number;
  height: number;
  channels: number;
  classNames: string[] | null;
  labelled: boolean;
}

export interface EvaluateRequest {
  datasetId: string;
  /** Transferred, not copied (Comlink.transfer). */
  model: ArrayBuffer;
  reference?: ArrayBuffer;
  subset: SubsetName;
  spec?: PreprocessSpec;
  batchSize?: number;
  latencyRuns?: number;
}

const datasets = new Map<string, { summary: DatasetSummary; dataset: Dataset }>();
// Default: the runtime copied into our own origin's /ort/ (never a CDN: the app works offline).
let runtime: RuntimeOptions = {
  wasmPaths: new URL(`${import.meta.env.BASE_URL}ort/`, self.location.origin).href,
};
let running: AbortController | null = null;

const api = {
  /** Must come before the first evaluation: ort reads these settings once. */
  configure(options: RuntimeOptions): void {
    runtime = { ...runtime, ...options };
  },

  async loadDataset(
    buffer: ArrayBuffer,
    format: DatasetFormat,
    fileName = 'data',
    onProgress?: ProgressCallback,
  ): Promise<DatasetSummary> {
    const dataset = await loadDataset(new Uint8Array(buffer), format, browserImageDecoder, {
      onProgress,
    });
    const summary: DatasetSummary = {
      datasetId: crypto.randomUUID(),
      fileName,
      format,
      count: dataset.count,
      width: dataset.width,
      height: dataset.height,
      channels: dataset.channels,
      classNames: dataset.classNames,
      labelled: dataset.labels !== null,
    };
    datasets.set(summary.datasetId, { summary, dataset });
    return summary;
  },

  async evaluate(request: EvaluateRequest, onProgress?: ProgressCallback): Promise<EvalReport> {
    const entry = datasets.get(request.datasetId);
    if (!entry)
      throw new Error('the dataset is not loaded (it was closed or the worker restarted)');
    running?.abort();
    const controller = new AbortController();
    running = controller;
    try {
      const report = await evaluateModel({
        modelBytes: new Uint8Array(request.model),
        referenceBytes: request.reference ? new Uint8Array(request.reference) : undefined,
        dataset: entry.dataset,
        spec: request.spec,
        indices: subsetIndices(entry.dataset, request.subset),
        batchSize: request.batchSize,
        latencyRuns: request.latencyRuns,
        runtime,
        onProgress,
        signal: controller.signal,
      });
      return Comlink.transfer(report, [report.predictions.buffer as ArrayBuffer]);
    } finally {
      if (running === controller) running = null;
    }
  },

  /** Stops the running evaluation at the next batch (terminate the worker to stop at once). */
  cancel(): void {
    running?.abort();
  },

  closeDataset(datasetId: string): void {
    datasets.delete(datasetId);
  },
};

export type EvalWorkerApi = typeof api;

Comlink.expose(api);
