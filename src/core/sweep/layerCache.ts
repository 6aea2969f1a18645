// Per-layer factorizations shared across sweep points: calibrated and uncalibrated twins,
// activation-bit variants and repeated sweeps all reuse one factorization per
// (weight hash, method, rank, bits, preset, seed).
import { compressLayer } from '../factor/compressLayer.ts';
import type { AdmmPresetName, CompressJob, CompressMethod, LayerResult } from '../factor/types.ts';
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

  async compress(layer: LayerWeight, job: Omit<LayerJobKey, 'weightHash'>): Promise<LayerResult> {
    const key: LayerJobKey = { ...job, weightHash: await this.weightHash(layer.weight) };
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
      }),
    );
  }
}
