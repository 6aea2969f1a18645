// Per-layer factorizations shared across sweep points: calibrated and uncalibrated twins,
// activation-bit variants and repeated sweeps all reuse one factorization per
// (weight hash, method, rank, bits, preset, seed, QAF scales, objective and statistics' hash; data-aware
// QAF's twins differ in their statistics: centred for the calibrated one).
import { compressLayer } from '../factor/compressLayer.ts';
import type { InputMoments } from '../factor/inputMoments.ts';
import type {
  AdmmPresetName,
  CompressJob,
  CompressMethod,
  LayerResult,
  QafObjective,
  QafScales,
} from '../factor/types.ts';
import { DEFAULT_QAF_SCALES } from '../factor/types.ts';
import type { Kernels } from '../kernels/types.ts';
import { PromiseMemo } from './cache.ts';
import { canonicalJson, sha256Hex } from './configKey.ts';

export interface LayerJobKey {
  weightHash: string;
  method: CompressMethod;
  /** Explicit rank, or null when the rank follows from the rate. */
  rank: number | null;
  rate: number | null;
  bits: number;
  preset: AdmmPresetName;
  seed: number;
  perChannel: boolean;
  /** QAF's objective; absent means published (keys made before data-aware QAF stay valid). */
  objective?: QafObjective;
  /** Data-aware QAF: SHA-256 of the input statistics the factors were solved with. */
  momentsHash?: string;
  /** QAF's grid scales (absent: the engine's default, which the key then names). */
  scales?: QafScales;
}

export interface LayerWeight {
  name: string;
  weight: Float32Array;
  shape: readonly number[];
}

export class LayerFactorCache {
  private readonly memo = new PromiseMemo<LayerResult>();
  private readonly weightHashes = new WeakMap<Float32Array, Promise<string>>();

  /**
   * `run` computes a missing factorization (default: compressLayer here); the CLI passes its
   * worker pool, which starts the layers one sweep point asks for together, largest first.
   */
  constructor(
    kernels: Kernels,
    private readonly run: (job: CompressJob) => LayerResult | Promise<LayerResult> = (job) =>
      compressLayer(kernels, job),
  ) {}

  get hits(): number {
    return this.memo.hits;
  }

  get misses(): number {
    return this.memo.misses;
  }

  weightHash(weight: Float32Array): Promise<string> {
    let hash = this.weightHashes.get(weight);
    if (!hash) {
      hash = sha256Hex(new Uint8Array(weight.buffer, weight.byteOffset, weight.byteLength));
      this.weightHashes.set(weight, hash);
    }
    return hash;
  }

  /** `moments`: the layer's input statistics, used (and hashed into the key) by data-aware jobs. */
  async compress(
    layer: LayerWeight,
    job: Omit<LayerJobKey, 'weightHash' | 'momentsHash'>,
    moments?: InputMoments,
  ): Promise<LayerResult> {
    const dataAware = job.objective === 'data';
    const inputMoments = dataAware ? moments : undefined;
    const key: LayerJobKey = {
      ...job,
      objective: dataAware ? 'data' : undefined,
      scales: job.method === 'admm' ? (job.scales ?? DEFAULT_QAF_SCALES) : undefined,
      momentsHash: inputMoments && (await momentsHash(inputMoments)),
      weightHash: await this.weightHash(layer.weight),
    };
    return this.memo.get(canonicalJson(key), async () =>
      this.run({
        name: layer.name,
        weight: layer.weight,
        shape: [...layer.shape],
        method: job.method,
        rank: job.rank ?? undefined,
        rate: job.rate ?? undefined,
        bits: job.bits,
        preset: job.preset,
        seed: job.seed,
        perChannel: job.perChannel,
        objective: key.objective,
        inputMoments,
        scales: key.scales,
      }),
    );
  }
}

/** SHA-256 of input statistics: their counts and the bytes of their matrices. */
export async function momentsHash(m: InputMoments): Promise<string> {
  const head = canonicalJson({
    images: m.images,
    samples: m.samples,
    channels: m.channels,
    kernel: m.kernel,
    inputMode: m.inputMode,
    centre: m.centre ?? false,
  });
  const parts = [
    new TextEncoder().encode(head),
    bytesOf(m.channel),
    bytesOf(m.spatial),
    bytesOf(m.channelSum),
  ];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return sha256Hex(all);
}

function bytesOf(x: Float64Array | undefined): Uint8Array {
  return x ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength) : new Uint8Array(0);
}
