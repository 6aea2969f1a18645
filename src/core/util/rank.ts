// The one rule from a weight's shape to its CP view and rank (method doc, "Rank"). The engine,
// the cost model (what-if preview) and layer discovery all use it, so they cannot disagree, and
// nonsense is rejected early and loudly: a bad rank would otherwise surface as a Cholesky
// failure deep in ADMM.

/** Why a rate or rank cannot be used for a layer; the message is for the user. */
export class RankError extends RangeError {
  override name = 'RankError';
}

/**
 * A weight's CP view: [I, J, K] = [Cout, Cin, prod(kernel)] for a conv with a kernel larger
 * than 1 (1-D, 2-D or 3-D); [I, J] for a 2-way weight, including a 1x1 conv (method doc: that
 * is the 2-way case).
 */
export function cpDims(shape: readonly number[]): number[] {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length >= 3) {
    const k = shape.slice(2).reduce((p, d) => p * d, 1);
    return k === 1 ? [shape[0], shape[1]] : [shape[0], shape[1], k];
  }
  throw new RankError(
    `cannot factorize a weight of shape [${shape.join(', ')}]: need 2 or more dims`,
  );
}

/**
 * The CP view of a conv with `group` groups: each group's weight [Cout/group, Cin/group, k...]
 * is factorized alone, all at one rank, so the rank rule applies to one group's view.
 */
export function groupCpDims(shape: readonly number[], group = 1): number[] {
  if (group <= 1) return cpDims(shape);
  return cpDims([shape[0] / group, ...shape.slice(1)]);
}

/** floor(prod(dims) / (sum(dims) * rate)), without checks: may be 0. */
export function rankAtRate(dims: readonly number[], rate: number): number {
  const params = dims.reduce((p, d) => p * d, 1);
  const perRank = dims.reduce((s, d) => s + d, 0);
  return Math.floor(params / (perRank * rate));
}

/** The largest rank whose factors are no larger than the weight (rate 1). */
export function maxRank(dims: readonly number[]): number {
  const atRateOne = rankAtRate(dims, 1);
  // A matrix has no rank above min(I, J): more columns only add zeros.
  return dims.length === 2 ? Math.min(atRateOne, dims[0], dims[1]) : atRateOne;
}

/** R = floor(prod(dims) / (sum(dims) * rate)), for a rate >= 1 that leaves R >= 1. */
export function rankFromRate(dims: readonly number[], rate: number): number {
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new RankError(`reduction rate must be a positive finite number, got ${rate}`);
  }
  if (rate < 1) {
    throw new RankError(
      `rate ${rate} would make the factors larger than the layer itself; use a rate of at least 1`,
    );
  }
  const rank = rankAtRate(dims, rate);
  if (rank < 1) {
    throw new RankError(
      `rate ${rate} leaves rank ${rank} < 1 for a ${dims.join('x')} weight; use a smaller rate`,
    );
  }
  return rank;
}

/** The rank to use: explicit `rank` if given, else from `rate`; validated either way. */
export function resolveRank(dims: readonly number[], rank?: number, rate?: number): number {
  if (rank === undefined) {
    if (rate === undefined) throw new RankError('give either a rank or a reduction rate');
    return rankFromRate(dims, rate);
  }
  if (!Number.isInteger(rank) || rank < 1) {
    throw new RankError(`rank must be an integer >= 1, got ${rank}`);
  }
  const most = maxRank(dims);
  if (rank > most) {
    throw new RankError(
      `rank ${rank} is above the ${most} a ${dims.join('x')} weight allows ` +
        '(a higher rank would store more numbers than the layer itself)',
    );
  }
  return rank;
}

/** The rank for `rate` or `rank` as resolveRank picks it, or the reason there is none. */
export function tryResolveRank(
  dims: readonly number[],
  rank?: number,
  rate?: number,
): { rank: number; error: null } | { rank: null; error: string } {
  try {
    return { rank: resolveRank(dims, rank, rate), error: null };
  } catch (e) {
    if (e instanceof RankError) return { rank: null, error: e.message };
    throw e;
  }
}
