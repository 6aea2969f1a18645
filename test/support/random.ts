// Seeded uniform numbers for test fixtures: a 32-bit linear congruential generator (Numerical
// Recipes constants), so fixtures are the same on every run and engine.

/** Uniform in [0, 1); seed 0 runs as seed 1. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The same sequence shifted to [-0.5, 0.5). */
export function centeredLcg(seed: number): () => number {
  const next = lcg(seed);
  return () => next() - 0.5;
}
