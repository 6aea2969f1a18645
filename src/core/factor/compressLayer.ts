// The engine's one entry point: a weight in, a compressed layer out, for every method of the
// registry (./methods). Pure (kernels passed in), so the worker, the CLI and the tests all run
// exactly this.

import type { Kernels } from '../kernels/types.ts';
import { methodSpec } from './methods/index.ts';
import type { LayerReport, MethodSpec } from './methods/types.ts';
import type { CompressJob, LayerProgress, LayerResult } from './types.ts';

export interface CompressHooks {
  onProgress?: (progress: LayerProgress) => void;
  /** Polled between iterations; a true answer ends the layer early with what it has. */
  shouldStop?: () => boolean;
}

export function compressLayer(
  kernels: Kernels,
  job: CompressJob,
  hooks: CompressHooks = {},
): LayerResult {
  const started = performance.now();
  const method = methodSpec(job.method);
  validateJob(job, method);
  const report = progressReporter(job.name, hooks.onProgress);
  const result = method.compress(kernels, job, { report, shouldStop: hooks.shouldStop });
  report('done', result.iterations, result.error, 1);
  return { ...result, ms: performance.now() - started };
}

function validateJob(job: CompressJob, method: MethodSpec): void {
  const size = job.shape.reduce((p, d) => p * d, 1);
  if (job.weight.length !== size) {
    throw new RangeError(
      `${job.name}: weight has ${job.weight.length} values, shape [${job.shape.join(', ')}] needs ${size}`,
    );
  }
  // Float CP ignores bits, but a job always carries some: they must still be a valid width.
  const range = method.bits ?? { min: 2, max: 8 };
  if (!Number.isInteger(job.bits) || job.bits < range.min || job.bits > range.max) {
    throw new RangeError(
      `${job.name}: bits must be an integer in ${range.min}..${range.max}, got ${job.bits}`,
    );
  }
}

// Progress is clamped to be monotonic: ADMM may stop before its step budget.
function progressReporter(layer: string, sink?: (p: LayerProgress) => void): LayerReport {
  let last = 0;
  return (status, outerStep, error, progress) => {
    last = Math.max(last, Math.min(1, progress));
    sink?.({ layer, status, outerStep, error, progress: last });
  };
}

/**
 * The weight the compressed layer really computes, in the original layout (Cout x Cin x kh x kw,
 * or I x J): sum_r A[i,r] B[j,r] C[k,r], or the quantized weight itself for PTQ.
 */
export function reconstruct(result: LayerResult): Float32Array {
  if (!methodSpec(result.method).factorizes) return Float32Array.from(result.factors[0].values);
  const rank = result.rank;
  const [a, b, c] = result.factors;
  const kDim = c ? c.rows : 1;
  const inner = new Float64Array(b.rows * kDim * rank); // B[j,r] C[k,r] at (j*K + k)
  for (let j = 0; j < b.rows; j++) {
    for (let k = 0; k < kDim; k++) {
      const o = (j * kDim + k) * rank;
      for (let r = 0; r < rank; r++)
        inner[o + r] = b.values[j * rank + r] * (c ? c.values[k * rank + r] : 1);
    }
  }
  const cols = b.rows * kDim;
  const out = new Float32Array(a.rows * cols);
  for (let i = 0; i < a.rows; i++) {
    for (let col = 0; col < cols; col++) {
      let s = 0;
      for (let r = 0; r < rank; r++) s += a.values[i * rank + r] * inner[col * rank + r];
      out[i * cols + col] = s;
    }
  }
  return out;
}
