// CP rank from a parameter-reduction rate (method doc, "Rank"), with the nonsense rejected
// early and loudly: a bad rank would otherwise surface as a Cholesky failure deep in ADMM.

/**
 * A weight's CP view: [I, J, K] = [Cout, Cin, kh*kw] for a k x k conv; [I, J] for a 2-way
 * weight, including a 1x1 conv (method doc: that is the 2-way case).
 */
export function cpDims(shape: readonly number[]): number[] {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length === 4) {
    const k = shape[2] * shape[3];
    return k === 1 ? [shape[0], shape[1]] : [shape[0], shape[1], k];
  }
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  throw new RangeError(`cannot factorize a weight of shape [${shape.join(', ')}]: need 2-4 dims`);
}

/** R = floor(prod(dims) / (sum(dims) * rate)). */
export function rankFromRate(dims: readonly number[], rate: number): number {
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new RangeError(`reduction rate must be a positive finite number, got ${rate}`);
  }
  const params = dims.reduce((p, d) => p * d, 1);
  const perRank = dims.reduce((s, d) => s + d, 0);
  const rank = Math.floor(params / (perRank * rate));
  if (rank < 1) {
    throw new RangeError(
      `rate ${rate} leaves rank ${rank} < 1 for a ${dims.join('x')} weight; use a smaller rate`,
    );
  }
  return rank;
}

/** The rank to use: explicit `rank` if given, else from `rate`; validated either way. */
export function resolveRank(dims: readonly number[], rank?: number, rate?: number): number {
  if (rank === undefined) {
    if (rate === undefined) throw new RangeError('give either a rank or a reduction rate');
    return rankFromRate(dims, rate);
  }
  const params = dims.reduce((p, d) => p * d, 1);
  if (!Number.isInteger(rank) || rank < 1) {
    throw new RangeError(`rank must be an integer >= 1, got ${rank}`);
  }
  if (rank > params) {
    throw new RangeError(
      `rank ${rank} exceeds the ${params} parameters of a ${dims.join('x')} weight`,
    );
  }
  return rank;
}
