// The sensitivity table: what compressing each layer alone, by each option of the menu, costs
// the model, plus what it saves (BOPs, bytes). Plain JSON, written by `qaf sensitivity` and read
// by the budget solver, `qaf allocate` and (later) the app's layer table and heat map.
import type { AdmmPresetName, QafObjective, QafScales } from '../factor/types.ts';
import { canonicalJson, sha256Hex } from '../sweep/configKey.ts';
import type { LayerOption } from './options.ts';

export const SENSITIVITY_FORMAT = 'qaf.sensitivity';
/** Bump when a change makes old measurements wrong: cache keys and files carry it. */
export const SENSITIVITY_VERSION = 3;

/** What compressing one layer alone, one way, costs and saves. */
export interface OptionSensitivity {
  id: string;
  option: LayerOption;
  /** CP rank (0 when the option does not factorize). */
  rank: number;
  /** BOPs of the layer per sample, as it runs under this option. */
  bops: number;
  /** Ideal weight bytes of the layer (parameters x bits / 8). */
  weightBytes: number;
  /**
   * Bytes the file stores for the layer's weights: codes in their INT4/INT8 containers (3 bits
   * take 4, 5-7 bits take 8) plus the float scales. What a size budget counts; absent in tables
   * made before it (weightBytes then stands in).
   */
  storedBytes?: number;
  /** ||W - W_hat||_F / ||W||_F. */
  weightError: number;
  /** ||Y_hat - Y||_F / ||Y||_F of the layer's output on the images (after calibration if on). */
  outputError: number;
  /**
   * ||Z_hat - Z||_F / ||Z||_F of the model's scores (logits) on the images: a smooth,
   * low-noise measure whose square adds up across layers for independent errors.
   */
  scoreError: number;
  /** Mean KL(original || model) of the model's softmax outputs on the images, in nats. */
  kl: number;
  /** Fraction of images whose top-1 class is the original's. */
  agreement: number;
}

export interface LayerSensitivity {
  name: string;
  op: string;
  weightShape: number[];
  /** Dense MACs per sample. */
  macs: number;
  options: OptionSensitivity[];
  /** Options of the menu this layer cannot take, with the reason. */
  skipped: { id: string; reason: string }[];
}

export interface SensitivityTable {
  format: typeof SENSITIVITY_FORMAT;
  version: number;
  /** SHA-256 of the model file and of the images (preprocessed batches) measured on. */
  modelSha256: string;
  dataSha256: string;
  images: number;
  /** Each compressed layer calibrated as the pipeline would (per-channel output statistics). */
  calibrated: boolean;
  preset: AdmmPresetName;
  seed: number;
  /**
   * QAF's objective and grid scales the factorized options were measured (and are to be built)
   * with; absent in tables made by hand: the pipeline's defaults.
   */
  objective?: QafObjective;
  scales?: QafScales;
  /**
   * Data-aware QAF: what its input statistics were taken from (SHA-256 as in the cache keys, and
   * how many images; null when the statistics were given without a count). A build on other
   * statistics solves its layers again. Absent in tables made before it was recorded.
   */
  statistics?: { sha256: string; images: number | null };
  /** Bits of the weights of layers not compressed (and of 'keep'), and of activations. */
  otherWeightBits: number;
  actBits: number;
  /** The float model's BOPs (MACs x 32 x 32) and weight bytes, per sample. */
  floatBops: number;
  floatWeightBytes: number;
  /**
   * BOPs, ideal and stored weight bytes (OptionSensitivity.storedBytes) of the layers the table
   * does not cover (fixed in any budget).
   */
  fixed: { bops: number; weightBytes: number; storedBytes?: number };
  layers: LayerSensitivity[];
  seconds: number;
  /** Options measured in this pass, and options taken from the cache. */
  measured: number;
  cached: number;
}

/** What a cache entry is about, besides its key (for listing and dropping by model). */
export interface SensitivityEntryInfo {
  modelSha256: string;
  dataSha256: string;
  layer: string;
  option: string;
}

/** Stores measured options across passes (memory here; a JSON file in the CLI; IndexedDB later). */
export interface SensitivityCache {
  get(key: string): Promise<OptionSensitivity | undefined>;
  /** `info` is given by measureSensitivity; a cache may ignore it. */
  set(key: string, value: OptionSensitivity, info?: SensitivityEntryInfo): Promise<void>;
}

export class MemorySensitivityCache implements SensitivityCache {
  readonly entries = new Map<string, OptionSensitivity>();

  async get(key: string) {
    return this.entries.get(key);
  }

  async set(key: string, value: OptionSensitivity) {
    this.entries.set(key, value);
  }
}

/** Everything besides the layer and option that changes a measurement. */
export interface SensitivityContext {
  modelSha256: string;
  dataSha256: string;
  calibrated: boolean;
  preset: AdmmPresetName;
  seed: number;
  otherWeightBits: number;
  /**
   * QAF's objective and grid scales (resolved: the engine's defaults named); in the keys of
   * QAF's options only, so 'keep' and PTQ measurements serve any QAF setting.
   */
  objective?: QafObjective;
  scales?: QafScales;
  /** Data-aware QAF: SHA-256 of the calibration images its input statistics came from. */
  statisticsSha256?: string;
}

/** The cache key of one (model, data, layer, option) measurement. */
export function sensitivityKey(
  context: SensitivityContext,
  layer: string,
  optionId: string,
): Promise<string> {
  return sha256Hex(
    canonicalJson({ version: SENSITIVITY_VERSION, ...context, layer, option: optionId }),
  );
}

/** Reads a table written by `qaf sensitivity`; a wrong format or version is an error. */
export function parseSensitivityTable(text: string): SensitivityTable {
  let doc: Partial<SensitivityTable>;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`sensitivity table: not JSON (${(err as Error).message})`);
  }
  if (doc?.format !== SENSITIVITY_FORMAT) {
    throw new Error(`sensitivity table: format is not "${SENSITIVITY_FORMAT}"`);
  }
  if (doc.version !== SENSITIVITY_VERSION) {
    throw new Error(
      `sensitivity table: version ${doc.version} (this build reads ${SENSITIVITY_VERSION}): measure it again`,
    );
  }
  if (!Array.isArray(doc.layers) || !doc.fixed || !(Number(doc.floatBops) > 0)) {
    throw new Error('sensitivity table: layers, fixed costs or float BOPs missing');
  }
  for (const layer of doc.layers) {
    if (typeof layer?.name !== 'string' || !Array.isArray(layer.options) || !layer.options.length)
      throw new Error('sensitivity table: every layer needs a name and at least one option');
    for (const o of layer.options) {
      const numbers = [o.bops, o.weightBytes, o.kl, o.agreement, o.outputError, o.scoreError];
      if (numbers.some((n) => typeof n !== 'number') || typeof o.id !== 'string') {
        throw new Error(`sensitivity table: layer "${layer.name}": option "${o.id}" is incomplete`);
      }
    }
  }
  return doc as SensitivityTable;
}

export const SENSITIVITY_CACHE_FORMAT = 'qaf.sensitivity-cache';

/** One stored measurement with what it is about. */
export interface SensitivityCacheEntry extends SensitivityEntryInfo {
  value: OptionSensitivity;
}

/**
 * A sensitivity cache as plain JSON (structured-clone safe): what the app keeps across reloads
 * (e.g. one IndexedDB record per model SHA-256, from entriesOf) and the CLI in a file. Keys are
 * sensitivityKey's: they already cover the model, the images, every setting, the layer, the
 * option and SENSITIVITY_VERSION; the info fields are there to list and drop entries.
 */
export interface SensitivityCacheDocument {
  format: typeof SENSITIVITY_CACHE_FORMAT;
  version: number;
  entries: Record<string, SensitivityCacheEntry>;
}

/**
 * A SensitivityCache that survives a reload: toJSON() gives a document, fromJSON() takes it
 * back. Entries set without info (a caller other than measureSensitivity) are kept in memory
 * only. A document of another SENSITIVITY_VERSION loads empty (its measurements are stale);
 * anything not such a document is an error.
 */
export class SerializableSensitivityCache implements SensitivityCache {
  private readonly entries = new Map<string, SensitivityCacheEntry>();
  private readonly unlabelled = new Map<string, OptionSensitivity>();

  static fromJSON(doc: unknown): SerializableSensitivityCache {
    const cache = new SerializableSensitivityCache();
    const d = doc as Partial<SensitivityCacheDocument> | null;
    if (d?.format !== SENSITIVITY_CACHE_FORMAT || typeof d.entries !== 'object' || !d.entries) {
      throw new Error(`sensitivity cache: not a "${SENSITIVITY_CACHE_FORMAT}" document`);
    }
    if (d.version !== SENSITIVITY_VERSION) return cache;
    for (const [key, e] of Object.entries(d.entries)) {
      const ok =
        typeof e?.modelSha256 === 'string' &&
        typeof e.layer === 'string' &&
        typeof e.option === 'string' &&
        typeof e.value?.id === 'string' &&
        typeof e.value.scoreError === 'number';
      if (!ok) throw new Error(`sensitivity cache: entry ${key.slice(0, 12)} is incomplete`);
      cache.entries.set(key, e);
    }
    return cache;
  }

  get size(): number {
    return this.entries.size + this.unlabelled.size;
  }

  async get(key: string): Promise<OptionSensitivity | undefined> {
    return this.entries.get(key)?.value ?? this.unlabelled.get(key);
  }

  async set(key: string, value: OptionSensitivity, info?: SensitivityEntryInfo): Promise<void> {
    if (info) this.entries.set(key, { ...info, value });
    else this.unlabelled.set(key, value);
  }

  /** The models (SHA-256) with entries. */
  models(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.modelSha256))];
  }

  /** A document of one model's entries (or of all). */
  toJSON(modelSha256?: string): SensitivityCacheDocument {
    const entries: Record<string, SensitivityCacheEntry> = {};
    for (const [key, e] of this.entries) {
      if (modelSha256 === undefined || e.modelSha256 === modelSha256) entries[key] = e;
    }
    return { format: SENSITIVITY_CACHE_FORMAT, version: SENSITIVITY_VERSION, entries };
  }

  /** Adds a document's entries (e.g. another model's record); returns how many. */
  merge(other: SerializableSensitivityCache): number {
    for (const [key, e] of other.entries) this.entries.set(key, e);
    return other.entries.size;
  }

  /** Drops one model's entries; returns how many. */
  deleteModel(modelSha256: string): number {
    let n = 0;
    for (const [key, e] of this.entries) {
      if (e.modelSha256 === modelSha256) {
        this.entries.delete(key);
        n++;
      }
    }
    return n;
  }
}
