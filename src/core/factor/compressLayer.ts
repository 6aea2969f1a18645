// The engine's one entry point: a weight in, a compressed layer out, for every method of the
// registry (./methods). Pure (kernels passed in), so the worker, the CLI and the tests all run
// exactly this.

import type { Kernels } from '../kernels/types.ts';
import { concatFloat32 } from '../util/arrays.ts';
import type { InputMoments } from './inputMoments.ts';
import { methodSpec } from './methods/index.ts';
import type { LayerReport, MethodRunContext, MethodSpec } from './methods/types.ts';
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
  const ctx = { report, shouldStop: hooks.shouldStop };
  const result =
    (job.groups ?? 1) > 1 && method.factorizes
      ? compressGroups(method, kernels, job, ctx)
      : method.compress(kernels, job, ctx);
  report('done', result.iterations, result.error, 1);
  return { ...result, ms: performance.now() - started };
}

/**
 * A grouped conv, one group after another: group g's weight is rows [g Cout/G, (g+1) Cout/G)
 * of [Cout, Cin/G, k...], factorized alone (same rank: every group has the same shape). The
 * layer's error is over the whole weight. Data-aware QAF weighs each group by its own input
 * channels' block of the layer's input moments (groupMoments).
 */
function compressGroups(
  method: MethodSpec,
  kernels: Kernels,
  job: CompressJob,
  ctx: MethodRunContext,
): Omit<LayerResult, 'ms'> {
  const groups = job.groups ?? 1;
  const [cout, ...rest] = job.shape;
  if (cout % groups !== 0) {
    throw new RangeError(`${job.name}: ${cout} output channels do not split into ${groups} groups`);
  }
  const size = job.weight.length / groups;
  const parts: LayerResult[] = [];
  let squared = 0;
  let floatSquared = 0;
  let norm = 0;
  for (let g = 0; g < groups; g++) {
    const weight = job.weight.subarray(g * size, (g + 1) * size);
    const sub: CompressJob = {
      ...job,
      name: `${job.name} (group ${g + 1}/${groups})`,
      weight,
      shape: [cout / groups, ...rest],
      groups: undefined,
      inputMoments: job.inputMoments && groupMoments(job.inputMoments, g, groups),
    };
    const report: MethodRunContext['report'] = (status, step, error, progress) =>
      ctx.report(status, step, error, (g + progress) / groups);
    const part = method.compress(kernels, sub, { ...ctx, report });
    let w2 = 0;
    for (const v of weight) w2 += v * v;
    squared += part.error ** 2 * w2;
    floatSquared += part.floatCpError ** 2 * w2;
    norm += w2;
    parts.push({ ...part, ms: 0 });
  }
  const warnings = [...new Set(parts.map((p) => p.warning).filter(Boolean))];
  return {
    name: job.name,
    method: job.method,
    rank: parts[0].rank,
    bits: job.bits,
    shape: [...job.shape],
    factors: [],
    floatCpError: norm > 0 ? Math.sqrt(floatSquared / norm) : 0,
    error: norm > 0 ? Math.sqrt(squared / norm) : 0,
    iterations: Math.max(...parts.map((p) => p.iterations)),
    errorHistory: [],
    ...(parts[0].objective && { objective: parts[0].objective }),
    ...(warnings.length && { warning: warnings.join('; ') }),
    groups: parts,
  };
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

/**
 * Group g's share of a grouped conv's input moments (collected over all Cin input channels): the
 * g-th diagonal block of the channel moment and its sums. The kernel-patch moment is summed over
 * every channel; momentWeights normalises it by its mean diagonal, so it serves each group as is.
 */
function groupMoments(m: InputMoments, g: number, groups: number): InputMoments | undefined {
  if (m.channels % groups !== 0) return undefined;
  const c = m.channels / groups;
  const channel = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    const row = (g * c + i) * m.channels + g * c;
    channel.set(m.channel.subarray(row, row + c), i * c);
  }
  return {
    ...m,
    channels: c,
    channel,
    ...(m.channelSum && { channelSum: m.channelSum.slice(g * c, (g + 1) * c) }),
  };
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
  // Groups are consecutive blocks of output channels: their weights, one after another.
  if (result.groups) {
    return concatFloat32(result.groups.map(reconstruct));
  }
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
