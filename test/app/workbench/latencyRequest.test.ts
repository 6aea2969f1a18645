// The app's latency request (workbench/latencyActions.ts): what is timed for a sensitivity table,
// and the key its timing is kept under. A table measured with 8-bit activations is timed so,
// and never reuses a float-activation timing of the same layers.
import { describe, expect, it } from 'vitest';
import { latencyRequest, latencyRequestKey } from '../../../src/app/workbench/latencyActions.ts';
import { optionId } from '../../../src/core/allocate/options.ts';
import type { OptionSensitivity } from '../../../src/core/allocate/table.ts';
import { syntheticTable, tableLayer } from '../../allocate/tables.ts';

function option(o: OptionSensitivity['option'], rank: number): OptionSensitivity {
  return {
    id: optionId(o),
    option: o,
    rank,
    bops: 1,
    weightBytes: 1,
    weightError: 0,
    scoreError: 0,
    outputError: 0,
    kl: 0,
    agreement: 1,
  };
}

const layer = tableLayer('conv1', [
  option('keep', 0),
  option({ method: 'ptq', bits: 4 }, 0),
  option({ method: 'admm', rate: 2, bits: 8 }, 28),
  option({ method: 'admm', rate: 4, bits: 4 }, 14),
  option({ method: 'admm', rate: 2, bits: 4 }, 28),
]);

describe('the app latency request', () => {
  it('carries the table activation bits, ranks and code widths', () => {
    const a8 = latencyRequest(syntheticTable([layer], { actBits: 8 }), 'load');
    expect(a8.actBits).toBe(8);
    expect(a8.layers).toEqual([{ name: 'conv1', ranks: [14, 28], bits: [4, 8] }]);
    // An activation-quantized model keeps its DequantizeLinear weights whatever the form asked.
    expect(a8.weightForm).toBe('dequantize');
    const float = latencyRequest(syntheticTable([layer]), 'load');
    expect(float.actBits).toBe(32);
    expect(float.weightForm).toBe('load');
  });

  it('keys an 8-bit activation table apart from a float one of the same layers', () => {
    const float = latencyRequestKey(syntheticTable([layer], { modelSha256: 'a' }));
    const a8 = latencyRequestKey(syntheticTable([layer], { modelSha256: 'a', actBits: 8 }));
    expect(a8).not.toBe(float);
    expect(JSON.parse(a8).actBits).toBe(8);
    expect(latencyRequestKey(syntheticTable([layer], { modelSha256: 'a' }))).toBe(float);
  });
});
