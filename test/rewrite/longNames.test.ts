// A megabyte-long node name must not be copied into every derived name (issue #17: a 20 MB
// model wrote 505 MB): derived names are cut and hashed.
import { describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/core/kernels/index.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { compressModel, prepareModel } from '../../src/core/pipeline/index.ts';
import { shortName } from '../../src/core/rewrite/graphEdit.ts';
import { tinyClassifierBytes } from '../support/generated.ts';

describe('long names', () => {
  it('shortName keeps short names and cuts long ones to distinct short ones', () => {
    expect(shortName('conv2_cp_in')).toBe('conv2_cp_in');
    const a = shortName(`${'n'.repeat(500)}a`);
    const b = shortName(`${'n'.repeat(500)}b`);
    expect(a.length).toBeLessThanOrEqual(96);
    expect(a).not.toBe(b);
  });

  it('a 1 MB node name does not multiply the written file', async () => {
    const model = readModel(tinyClassifierBytes());
    const longName = 'n'.repeat(1_000_000);
    model.graph.node!.find((n) => n.name === 'conv2')!.name = longName;
    const bytes = writeModel(model);
    const prepared = await prepareModel(bytes);
    const out = await compressModel({
      prepared,
      kernels: jsKernels,
      allocation: {
        settings: { method: 'admm', rate: 2, bits: 4 },
        selection: { names: [longName] },
      },
    });
    expect(out.bytes.length).toBeLessThan(bytes.length + 50_000);
    expect(out.check?.outputs[0].relativeL2).toBeLessThan(1);
  });
});
