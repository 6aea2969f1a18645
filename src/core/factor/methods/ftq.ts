// FTQ: float CP, then each factor rounded once onto its grid (method doc, "Baselines").
import { ftqFactors } from '../baselines.ts';
import { cpRelativeError, cpTarget } from '../cpTensor.ts';
import { FLOAT_CP_MAX_ITERATIONS, floatCpOfJob } from './floatCp.ts';
import { gridResults } from './grid.ts';
import { type MethodSpec, resultHeader } from './types.ts';

export const ftqMethod: MethodSpec<'ftq'> = {
  id: 'ftq',
  label: 'FTQ (CP, then round)',
  shortLabel: 'FTQ',
  summary: 'float CP, then each factor rounded to the grid once',
  color: '#d97706',
  factorizes: true,
  quantizes: true,
  bits: { min: 2, max: 8 },
  estimateSeconds: 4,
  appliesTo: (layer) => layer.factorizable,
  compress(kernels, job, ctx) {
    const { dims, rank, float } = floatCpOfJob(kernels, job, ctx, FLOAT_CP_MAX_ITERATIONS, 1);
    const grid = ftqFactors(kernels, float.factors, job.bits);
    const values = grid.map((g) => g.values);
    const error = cpRelativeError(kernels, cpTarget(job.weight, dims), values, rank);
    return {
      ...resultHeader(job, rank),
      floatCpError: float.error,
      factors: gridResults(grid, dims, rank),
      error,
      iterations: float.iterations,
      errorHistory: [error],
    };
  },
};
