import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatMacs,
  formatScaled,
  formatShape,
  formatShare,
} from '../../src/app/format.ts';

describe('format', () => {
  it('groups thousands', () => {
    expect(formatCount(269034)).toBe('269,034');
    expect(formatCount(0)).toBe('0');
  });

  it('scales MACs with decimal prefixes', () => {
    expect(formatMacs(40551040)).toBe('40.55 M');
    expect(formatMacs(125_800_000)).toBe('125.8 M');
    expect(formatMacs(4_100_000_000)).toBe('4.1 G');
    expect(formatMacs(999)).toBe('999');
    expect(formatMacs(null)).toBe('unknown');
    expect(formatScaled(1500)).toBe('1.5 k');
  });

  it('shows sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MB');
  });

  it('keeps symbolic dims by name', () => {
    expect(formatShape(['batch', 3, 32, 32])).toBe('batch × 3 × 32 × 32');
    expect(formatShape([])).toBe('scalar');
    expect(formatShape(null)).toBe('—');
  });

  it('formats shares as percentages', () => {
    expect(formatShare(0.1234)).toBe('12.3 %');
    expect(formatShare(null)).toBe('—');
  });
});
