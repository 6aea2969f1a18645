// The latency budget (issue #15 item 2, issue #14 item 4): parsing, the solver spending measured
// milliseconds (a factorized option may be slower than keeping the layer), the rest of the graph
// as the fixed part, and the unreachable case with its smallest value. Times here are made up:
// tests assert behaviour, never time.
import { describe, expect, it } from 'vitest';
import {
  allocateForBudget,
  BudgetError,
  parseBudget,
  smallestReachable,
} from '../../src/core/allocate/budget.ts';
import { type LayerOption, optionId } from '../../src/core/allocate/options.ts';
import type { OptionSensitivity, SensitivityTable } from '../../src/core/allocate/table.ts';
import {
  checkLatencyTable,
  LATENCY_FORMAT,
  LATENCY_VERSION,
  type LatencyTable,
  latencyForms,
  latencyKey,
  predictedModelMs,
} from '../../src/core/cost/latencyTable.ts';
import { syntheticTable, tableLayer } from './tables.ts';

function option(o: LayerOption, rank: number, error: number): OptionSensitivity {
  return {
    id: optionId(o),
    option: o,
    rank,
    bops: 1000 - rank,
    weightBytes: 10,
    weightError: 0,
    scoreError: error,
    outputError: error,
    kl: error,
    agreement: 1 - error,
  };
}

function table(): SensitivityTable {
  const layer = (name: string) =>
    tableLayer(name, [
      option('keep', 0, 0),
      option({ method: 'ptq', bits: 4 }, 0, 0.1),
      option({ method: 'admm', rate: 2, bits: 4 }, 28, 0.2),
      option({ method: 'admm', rate: 4, bits: 4 }, 14, 0.4),
    ]);
  return syntheticTable([layer('conv1'), layer('conv2')]);
}

/**
 * conv1 is faster factorized (a wide layer); conv2 is slower factorized at either rank (a small
 * map, where three kernels cost more than one). 'stem' is outside the sensitivity table.
 * Original model: 6 ms = rest 1 + stem 1 + 2 + 2.
 */
function latency(): LatencyTable {
  return {
    format: LATENCY_FORMAT,
    version: LATENCY_VERSION,
    runtime: 'test',
    threads: 1,
    batch: 1,
    weightForm: 'load',
    modelMs: 6,
    restMs: 1,
    layers: [
      { name: 'stem', ms: { float: 1, keep: 1, quantize: 1 } },
      { name: 'conv1', ms: { float: 2, keep: 2, quantize: 2, 'rank:28': 1, 'rank:14': 0.8 } },
      { name: 'conv2', ms: { float: 2, keep: 2, quantize: 2, 'rank:28': 3, 'rank:14': 2.5 } },
    ],
  };
}

describe('latency budgets', () => {
  it('parses ms, s and % of the original model', () => {
    expect(parseBudget('latency=8ms')).toEqual({ kind: 'latency', ms: 8 });
    expect(parseBudget('latency=0.5s')).toEqual({ kind: 'latency', ms: 500 });
    expect(parseBudget('latency=90%')).toEqual({ kind: 'latency', percent: 90 });
    expect(() => parseBudget('latency=3KB')).toThrow(/latency takes ms, s or %/);
    expect(() => parseBudget('latency=-1ms')).toThrow(/latency=8ms/);
  });

  it('spends the milliseconds where factorizing is faster and keeps the layer where it is slower', () => {
    // 5 ms - rest 1 - stem 1 = 3 ms for conv1 and conv2: conv2 cannot get faster than 2 ms, so
    // conv1 must take its 1 ms option (rank 28); conv2 takes the lowest error, keep.
    const result = allocateForBudget(table(), { kind: 'latency', ms: 5 }, { latency: latency() });
    expect(result.choices.map((c) => c.option.id)).toEqual(['admm-r2-w4', 'keep']);
    expect(result.totals.latencyMs).toBeCloseTo(5, 12);
    expect(result.allocation.overrides).toEqual({ conv2: 'keep' });
    // The same budget as a share of the original model's 6 ms.
    const byPercent = allocateForBudget(
      table(),
      { kind: 'latency', percent: (100 * 5) / 6 },
      { latency: latency() },
    );
    expect(byPercent.choices.map((c) => c.option.id)).toEqual(['admm-r2-w4', 'keep']);
  });

  it('never picks a factorization that is both slower and worse', () => {
    // A loose budget: every layer may stay as it is, and keep has the lowest error.
    const result = allocateForBudget(
      table(),
      { kind: 'latency', percent: 100 },
      { latency: latency() },
    );
    expect(result.choices.map((c) => c.option.id)).toEqual(['keep', 'keep']);
  });

  it('says when a latency budget is unreachable, with the smallest reachable time', () => {
    // Fastest: rest 1 + stem 1 + conv1 0.8 + conv2 2 = 4.8 ms = 80 % of 6 ms.
    expect(smallestReachable(table(), { kind: 'latency', ms: 1 }, latency())).toBeCloseTo(4.8, 12);
    try {
      allocateForBudget(table(), { kind: 'latency', ms: 4 }, { latency: latency() });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BudgetError);
      expect((err as BudgetError).smallest).toBeCloseTo(4.8, 12);
      expect((err as Error).message).toMatch(
        /latency=4ms cannot be met: the smallest reachable is 4\.800 ms/,
      );
    }
    expect(() =>
      allocateForBudget(table(), { kind: 'latency', percent: 50 }, { latency: latency() }),
    ).toThrow(/smallest reachable is 80\.0 %/);
  });

  it('refuses a latency budget without a table, or a table without the layer', () => {
    expect(() => allocateForBudget(table(), { kind: 'latency', ms: 5 })).toThrow(
      /latency budget needs the layers timed/,
    );
    const partial = latency();
    partial.layers = partial.layers.filter((l) => l.name !== 'conv2');
    expect(() =>
      allocateForBudget(table(), { kind: 'latency', ms: 5 }, { latency: partial }),
    ).toThrow(/no layer conv2/);
    const noRank = latency();
    delete noRank.layers[1].ms['rank:14'];
    expect(() =>
      allocateForBudget(table(), { kind: 'latency', ms: 5 }, { latency: noRank }),
    ).toThrow(/conv1 has no time for rank:14/);
  });

  it('reports the predicted latency for other budget kinds too', () => {
    const result = allocateForBudget(table(), { kind: 'bops', bops: 2000 }, { latency: latency() });
    const keys = Object.fromEntries(
      result.choices.map((c) => [
        c.layer,
        c.option.rank ? (`rank:${c.option.rank}` as const) : ('keep' as const),
      ]),
    );
    expect(result.totals.latencyMs).toBeCloseTo(predictedModelMs(latency(), keys), 12);
  });

  it('reads latency tables back and refuses other JSON', () => {
    expect(checkLatencyTable(JSON.parse(JSON.stringify(latency()))).restMs).toBe(1);
    expect(() => checkLatencyTable({ format: 'qaf.sensitivity' })).toThrow(
      /not a qaf latency table/,
    );
    expect(() => checkLatencyTable({ ...latency(), version: 99 })).toThrow(/version 99/);
    // Tables written before activation bits were recorded are float-activation tables.
    expect(checkLatencyTable(latency()).actBits).toBeUndefined();
    expect(checkLatencyTable({ ...latency(), actBits: 8 }).actBits).toBe(8);
    expect(() => checkLatencyTable({ ...latency(), actBits: 4 })).toThrow(/activation bits 4/);
  });

  it('with 8-bit activations, prices 5-8-bit options by their INT8 timing', () => {
    expect(latencyKey({ rank: 28, bits: 8 })).toBe('rank:28');
    expect(latencyKey({ rank: 28, bits: 8 }, 8)).toBe('rank:28:int8');
    expect(latencyKey({ rank: 28, bits: 4 }, 8)).toBe('rank:28');
    expect(latencyKey({ rank: 0, bits: 5 }, 8)).toBe('quantize:int8');
    expect(latencyKey('keep', 8)).toBe('keep');
    const a8 = (): LatencyTable => {
      const t = { ...latency(), actBits: 8 };
      // conv1 factorized with INT8 codes is fast, with INT4 codes slow: a 4-bit table must not
      // be read for the 8-bit options.
      t.layers[1].ms = { ...t.layers[1].ms, 'rank:28': 3, 'rank:28:int8': 1, 'quantize:int8': 2 };
      return t;
    };
    const wide = (name: string) =>
      tableLayer(name, [
        option('keep', 0, 0),
        option({ method: 'admm', rate: 2, bits: 8 }, 28, 0.2),
        option({ method: 'admm', rate: 2, bits: 4 }, 28, 0.1),
      ]);
    const table8 = syntheticTable([wide('conv1')], { actBits: 8 });
    const result = allocateForBudget(table8, { kind: 'latency', ms: 5.5 }, { latency: a8() });
    expect(result.choices[0].option.option).toEqual({ method: 'admm', rate: 2, bits: 8 });
    // A float-activation timing is refused for an 8-bit activation table, and back.
    expect(() =>
      allocateForBudget(table8, { kind: 'latency', ms: 5.5 }, { latency: latency() }),
    ).toThrow(/timed with 32-bit activations, the sensitivity table's are 8-bit/);
    expect(() => allocateForBudget(table(), { kind: 'latency', ms: 5 }, { latency: a8() })).toThrow(
      /timed with 8-bit activations/,
    );
  });

  it('asks for the code widths of every quantized option', () => {
    const forms = latencyForms(table().layers[0].options);
    expect(forms).toEqual({ ranks: [14, 28], bits: [4] });
  });
});
