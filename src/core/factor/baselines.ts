// The baselines QAF must beat (method doc, "Baselines"): FTQ rounds a float CP once; PTQ
// quantizes the weight itself, per tensor or per output channel, with the same grid search.

import type { Kernels } from '../kernels/types.ts';
import type { GridFactor } from './types.ts';

/** FTQ: each float factor projected once onto its own b-bit grid. */
export function ftqFactors(
  kernels: Kernels,
  factors: readonly Float32Array[],
  bits: number,
): GridFactor[] {
  return factors.map((f) => {
    const p = kernels.projectToGrid(f, bits);
    return { codes: p.codes, scale: p.scales[0], values: p.values };
  });
}

export interface PtqWeight {
  codes: Int8Array;
  /** One scale (per tensor) or one per output channel. */
  scales: Float32Array;
  values: Float32Array;
}

/** PTQ: the weight projected directly; `perChannel` gives each of shape[0] rows its own scale. */
export function ptqWeight(
  kernels: Kernels,
  weight: Float32Array,
  shape: readonly number[],
  bits: number,
  perChannel = false,
): PtqWeight {
  const p = kernels.projectToGrid(weight, bits, perChannel ? { channels: shape[0] } : {});
  return { codes: p.codes, scales: p.scales, values: p.values };
}
