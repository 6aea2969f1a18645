// PTQ: the weight itself on the grid, per tensor or per output channel (method doc, "Baselines").
import { ptqWeight } from '../baselines.ts';
import { relativeErrorOf } from '../cpTensor.ts';
import type { FactorResult } from '../types.ts';
import { type MethodSpec, resultHeader } from './types.ts';

export const ptqMethod: MethodSpec<'ptq'> = {
  id: 'ptq',
  label: 'PTQ (quantize only)',
  shortLabel: 'PTQ',
  summary: 'quantize the weight itself, no factorization (--per-channel: a scale per row)',
  color: '#18794e',
  factorizes: false,
  quantizes: true,
  bits: { min: 2, max: 8 },
  estimateSeconds: 0.2,
  // Every weight layer, grouped and depthwise convs included.
  appliesTo: () => true,
  compress(kernels, job) {
    const q = ptqWeight(kernels, job.weight, job.shape, job.bits, job.perChannel);
    const rows = job.shape[0];
    const factor: FactorResult = {
      rows,
      cols: job.weight.length / rows,
      codes: q.codes,
      values: q.values,
    };
    if (job.perChannel) factor.scales = q.scales;
    else factor.scale = q.scales[0];
    const error = relativeErrorOf(job.weight, q.values);
    return {
      ...resultHeader(job, 0),
      factors: [factor],
      floatCpError: Number.NaN,
      error,
      iterations: 1,
      errorHistory: [error],
    };
  },
};
