// Grid factors (codes + one scale per factor) as the layer result stores them.
import type { FactorResult, GridFactor } from '../types.ts';

export function gridResults(
  grid: readonly GridFactor[],
  dims: readonly number[],
  rank: number,
): FactorResult[] {
  return grid.map((g, n) => ({
    rows: dims[n],
    cols: rank,
    codes: g.codes,
    scale: g.scale,
    values: g.values,
  }));
}
