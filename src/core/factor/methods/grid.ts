// Grid factors (codes + one scale per factor, or one per column) as the layer result stores them.
import type { FactorResult, GridFactor } from '../types.ts';

export function gridResults(
  grid: readonly GridFactor[],
  dims: readonly number[],
  rank: number,
): FactorResult[] {
  return grid.map((g, n) =>
    g.columnScales
      ? {
          rows: dims[n],
          cols: rank,
          codes: g.codes,
          columnScales: g.columnScales,
          values: g.values,
        }
      : { rows: dims[n], cols: rank, codes: g.codes, scale: g.scale, values: g.values },
  );
}
