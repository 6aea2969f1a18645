// `qaf eval --inputs`: an output all zero in both models, or in the original only, shows '-'
// for the figures it has not (never NaN or -Infinity), and a line under the table says why.
import { describe, expect, it } from 'vitest';
import { outputsTable } from '../../src/cli/evalOutputs.ts';
import { OutputAccumulator } from '../../src/core/eval/outputs.ts';

describe('qaf eval --inputs table', () => {
  it('says in words what an all-zero output means', () => {
    const acc = new OutputAccumulator();
    const zeros = new Float32Array(4);
    const some = Float32Array.from([0, 0.1, 0, 0]);
    acc.add('map', { data: zeros, dims: [1, 1, 2, 2] }, { data: zeros, dims: [1, 1, 2, 2] }, 1, 1);
    acc.add('y', { data: zeros, dims: [1, 1, 4] }, { data: some, dims: [1, 1, 4] }, 1, 1);
    const text = outputsTable({ samples: 1, outputs: acc.result(), source: 'x.npy' });
    expect(text).not.toMatch(/NaN|Infinity/);
    expect(text).toContain(
      'map: both outputs are all zero on these inputs: the check cannot judge this output; give realistic inputs (your own arrays: --inputs)',
    );
    expect(text).toContain('y: cosine undefined (one output is all zero)');
  });
});
