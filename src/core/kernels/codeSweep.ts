// The polish's coordinate sweep over the integer codes of a grid factor (src/core/factor/
// polish.ts), as a kernel: the plain TypeScript reference here, and the same operations in
// workers/kernels/assembly/codeSweep.ts, which give the same codes bit for bit.

/** Arguments of `codeSweep` (a rows x rank factor H with H[i, r] = scales[r] * codes[i, r]). */
export interface CodeSweepArgs {
  /** rows x rank, moved in place. */
  codes: Int8Array;
  /**
   * rows x rank: row i of half the gradient, H G - F, is mult * base[i] - f[i] before the
   * row's moves. With `writeBack`, a row that moved gets (gradient + f) / mult after them.
   */
  base: Float32Array;
  mult: number;
  f: Float32Array;
  /** rank x rank, symmetric. */
  g: Float64Array;
  /** The grid step of each column (one value repeated for a per-factor scale). */
  scales: Float64Array;
  rows: number;
  rank: number;
  bits: number;
  /** Leave the codes of columns whose scale is not > 0 alone. */
  skipNonPositiveScales: boolean;
  writeBack: boolean;
}

/**
 * Exact coordinate descent on the codes, row by row: each code moves to the grid point nearest
 * the vertex of the objective tr(H G H^T) - 2 tr(H^T F) along it, and the row's gradient follows
 * every move. Returns the number of codes moved.
 */
export function codeSweep(a: CodeSweepArgs): number {
  const { codes, base, mult, f, g, scales: s, rows, rank } = a;
  const qMax = 2 ** (a.bits - 1) - 1;
  const qMin = -(2 ** (a.bits - 1));
  const grad = new Float64Array(rank);
  let moved = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * rank;
    for (let c = 0; c < rank; c++) grad[c] = mult * base[o + c] - f[o + c];
    let rowMoved = false;
    for (let r = 0; r < rank; r++) {
      const curvature = g[r * rank + r];
      if (!(curvature > 0)) continue;
      if (a.skipNonPositiveScales && !(s[r] > 0)) continue;
      const q = codes[o + r];
      // The objective along this code is a parabola: round its vertex onto the grid.
      const next = Math.min(qMax, Math.max(qMin, Math.round(q - grad[r] / (curvature * s[r]))));
      if (next === q) continue;
      const delta = s[r] * (next - q);
      for (let c = 0; c < rank; c++) grad[c] += delta * g[r * rank + c];
      codes[o + r] = next;
      moved++;
      rowMoved = true;
    }
    if (a.writeBack && rowMoved)
      for (let c = 0; c < rank; c++) base[o + c] = (grad[c] + f[o + c]) / mult;
  }
  return moved;
}
