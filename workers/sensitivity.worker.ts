// The sensitivity worker (issue #15): what compressing each layer alone, by each option of a
// menu, costs the model (src/core/allocate). Images arrive preprocessed from the eval worker;
// measurements already made are asked of the page's cache, so a cancel (which terminates this
// worker) loses only the option in progress.
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
import { configureOrt } from '../src/core/eval/session.ts';
import type { LayerSelection } from '../src/core/factor/modelJobs.ts';
import { loadKernels } from '../src/core/kernels/index.ts';
import { prepareModel } from '../src/core/pipeline/prepare.ts';

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
};

export type SensitivityWorkerApi = typeof api;

Comlink.expose(api);
