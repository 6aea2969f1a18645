// The sensitivity worker (issue #15): what compressing each layer alone, by each option of a
// menu, costs the model (src/core/allocate). Images arrive preprocessed from the eval worker;
// measurements already made are asked of the page's cache, so a cancel (which terminates this
// worker) loses only the option in progress. It also times the table's layers alone in
// onnxruntime-web (src/core/eval/layerLatency.ts) for a latency budget.
import './lifeline.ts'; // first: its lock is taken before the heavier modules load
import * as Comlink from 'comlink';
import {
  measureSensitivity,
  type OptionMenu,
  type OptionSensitivity,
  type SensitivityEntryInfo,
  type SensitivityProgress,
  type SensitivityTable,
} from '../src/core/allocate/index.ts';
import type { CalibrationBatch } from '../src/core/calibrate/outputStats.ts';
import type { LatencyTable } from '../src/core/cost/latencyTable.ts';
import { measureLatencyTable } from '../src/core/eval/layerLatency.ts';
import { configureOrt } from '../src/core/eval/session.ts';
import type { LayerSelection } from '../src/core/factor/modelJobs.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { prepareModel } from '../src/core/pipeline/prepare.ts';
import type { WeightForm } from '../src/core/rewrite/weightForm.ts';
import { sha256Hex } from '../src/core/sweep/configKey.ts';

// The runtime is served from our own origin (scripts/copyOrt.mjs): the app must work offline.
configureOrt({ wasmPaths: new URL(`${import.meta.env.BASE_URL}ort/`, self.location.origin).href });

export interface SensitivityRequest {
  /** The (normalised) model file; transferred. */
  modelBytes: ArrayBuffer;
  batches: CalibrationBatch[];
  selection: LayerSelection;
  menu: Partial<OptionMenu>;
  calibrate: boolean;
  otherWeightBits: number;
  actBits: number;
}

export interface LatencyRequest {
  /** The (normalised) model file; transferred. */
  modelBytes: ArrayBuffer;
  /**
   * The sensitivity table's layers, each with the ranks of its factorized options and the code
   * widths of its quantized ones (core/cost/latencyTable.ts latencyForms).
   */
  layers: { name: string; ranks: number[]; bits: number[] }[];
  otherWeightBits: number;
  /** The sensitivity table's activation bits: with 8 the forms are timed with Q/DQ inputs. */
  actBits: number;
  /** How the app writes the weights (settings.ts outputForm): the forms are timed so. */
  weightForm: WeightForm;
}

/** The page's cache of measurements, reached through Comlink (every call is async). */
export interface RemoteSensitivityCache {
  get(key: string): Promise<OptionSensitivity | undefined>;
  set(key: string, value: OptionSensitivity, info?: SensitivityEntryInfo): Promise<void>;
}

const api = {
  async measure(
    request: SensitivityRequest,
    cache: RemoteSensitivityCache,
    onProgress: (event: SensitivityProgress) => void,
  ): Promise<SensitivityTable> {
    const prepared = await prepareModel(new Uint8Array(request.modelBytes));
    return measureSensitivity({
      prepared,
      kernels: await loadKernels(),
      batches: request.batches,
      selection: request.selection,
      menu: request.menu,
      calibrate: request.calibrate,
      otherWeightBits: request.otherWeightBits,
      actBits: request.actBits,
      cache,
      onProgress: (event) => void onProgress(event),
    });
  },

  /** Each layer alone in each form it can take, and the whole model (one thread, wall time). */
  async latency(
    request: LatencyRequest,
    onProgress: (done: number, total: number) => void,
  ): Promise<LatencyTable> {
    const prepared = await prepareModel(new Uint8Array(request.modelBytes));
    const shapes = Object.values(prepared.inputShapes);
    if (shapes.length !== 1) {
      throw new Error(
        `a latency budget needs a one-input model (this one has ${shapes.length} inputs); budget on BOPs or size`,
      );
    }
    const byName = new Map(prepared.layers.map((l) => [l.name, l]));
    const requests = request.layers.map(({ name, ranks, bits }) => {
      const layer = byName.get(name);
      if (!layer)
        throw new Error(`the sensitivity table names layer ${name}, which the model lacks`);
      return { layer, ranks, bits };
    });
    return measureLatencyTable(prepared.bytes, shapes[0], requests, {
      weightForm: request.weightForm,
      otherWeightBits: request.otherWeightBits,
      actBits: request.actBits,
      modelSha256: await sha256Hex(prepared.sourceBytes),
      onLayer: (done, total) => void onProgress(done, total),
    });
  },
};

export type SensitivityWorkerApi = typeof api;

Comlink.expose(api);
