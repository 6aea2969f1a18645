// QAF: CP factors found directly on the b-bit grid by ADMM, started from a float CP (method doc,
// "ADMM"). The published and the default stopping rules are presets of admm.ts.
import { ADMM_PRESETS, admmQuantizedCp } from '../admm.ts';
import { floatCpOfJob } from './floatCp.ts';
import { gridResults } from './grid.ts';
import { type MethodSpec, resultHeader } from './types.ts';

// Share of the progress bar given to the float CP start.
const INIT_SHARE = 0.3;

export const qafMethod: MethodSpec<'admm'> = {
  id: 'admm',
  label: 'QAF (ADMM)',
  shortLabel: 'QAF (ADMM)',
  summary: 'QAF: CP factors found on the low-bit grid by ADMM',
  color: '#2f5bd3',
  factorizes: true,
  quantizes: true,
  bits: { min: 2, max: 8 },
  estimateSeconds: 6,
  appliesTo: (layer) => layer.factorizable,
  compress(kernels, job, ctx) {
    const preset = ADMM_PRESETS[job.preset ?? 'default'];
    const start = floatCpOfJob(kernels, job, ctx, preset.cpIterations, INIT_SHARE);
    const { dims, rank, float } = start;
    const q = admmQuantizedCp(kernels, job.weight, dims, float.factors, rank, job.bits, {
      preset: job.preset ?? 'default',
      onOuterStep: (t, e) =>
        ctx.report('running', t, e, INIT_SHARE + (1 - INIT_SHARE) * (t / preset.maxOuter)),
      shouldStop: ctx.shouldStop,
    });
    return {
      ...resultHeader(job, rank),
      floatCpError: float.error,
      factors: gridResults(q.factors, dims, rank),
      error: q.error,
      iterations: q.iterations,
      errorHistory: q.errorHistory,
    };
  },
};
