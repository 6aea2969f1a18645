import { describe, expect, it } from 'vitest';
import { formatPercent, sweepTable } from '../../src/core/sweep/table.ts';
import type { SweepRow } from '../../src/core/sweep/types.ts';

describe('sweepTable', () => {
  it('prints one aligned row per point, with "-" for unknown metrics', () => {
    const row = {
      method: 'admm',
      rate: 2,
      bits: 4,
      actBits: null,
      calibrated: true,
      accuracy: 0.8777,
      agreement: Number.NaN,
      bopPercent: 6.75,
      sizeBytes: 111_793,
      latencyMs: Number.NaN,
      meanError: 0.354,
      cached: true,
    } as SweepRow;
    const lines = sweepTable([row, { ...row, method: 'float', rate: null, cached: false }]).split(
      '\n',
    );
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^method\s+rate\s+w bits\s+a bits\s+calibrated\s+top-1 %/);
    expect(lines[2].split(/\s+/)).toEqual([
      'admm',
      '2',
      '4',
      '32',
      'yes',
      '87.77',
      '-',
      '6.75',
      '109.2',
      'KiB',
      '-',
      '0.3540',
      'cached',
    ]);
    expect(lines[3].startsWith('float')).toBe(true);
    // Right-aligned numbers: the size column ends at the same place on every row.
    const sizeEnd = (l: string) => l.indexOf('KiB') + 3;
    expect(sizeEnd(lines[3])).toBe(sizeEnd(lines[2]));
    expect(formatPercent(0.5)).toBe('50.00');
  });
});
